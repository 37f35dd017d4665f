import { ApiError } from '../errors.js';

export interface JsonLimits {
  maxBytes: number;
  maxDepth: number;
}

/** User-editable JSON (agent settings, session metadata): 32 KB serialized, 8 levels deep. */
export const METADATA_LIMITS: JsonLimits = { maxBytes: 32 * 1024, maxDepth: 8 };
/** Project metadata may nest deeper; project settings are smaller. For the Projects resource. */
export const PROJECT_METADATA_LIMITS: JsonLimits = { maxBytes: 32 * 1024, maxDepth: 12 };
export const PROJECT_SETTINGS_LIMITS: JsonLimits = { maxBytes: 8 * 1024, maxDepth: 8 };

/** Depth counts containers: `{}` is 1, `{"a":{}}` is 2. Stops as soon as the limit is passed. */
function depthExceeds(value: unknown, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/** The one checker for user-editable JSON; over either limit is a 422 on `path`. */
export function checkJsonLimits(value: unknown, limits: JsonLimits, path: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > limits.maxBytes) {
    throw new ApiError('VALIDATION_ERROR', `${path} is ${bytes} bytes serialized; the limit is ${limits.maxBytes}`, [
      { path, message: `must be at most ${limits.maxBytes} bytes as JSON` },
    ]);
  }
  if (depthExceeds(value, limits.maxDepth)) {
    throw new ApiError('VALIDATION_ERROR', `${path} nests deeper than ${limits.maxDepth} levels`, [
      { path, message: `must nest at most ${limits.maxDepth} levels` },
    ]);
  }
}
