import { ApiError } from '../errors.js';

/** Deeper than this, a body is refused before anything recursive (serializers, validators) walks it. */
export const MAX_BODY_DEPTH = 64;

/**
 * PostgreSQL text and jsonb cannot hold NUL or an unpaired UTF-16 surrogate (text would silently get
 * U+FFFD, jsonb fails), nor a number past double range, so all are refused at the door rather than failing
 * or changing later; so are prototype keys and a body nested deeper than MAX_BODY_DEPTH. Iterative, so no input can exhaust the stack here.
 */
export function unstorable(value: unknown): ApiError | undefined {
  const stack: Array<[unknown, string, number]> = [[value, 'body', 0]];
  while (stack.length > 0) {
    const [node, at, depth] = stack.pop()!;
    if (typeof node === 'string') {
      const bad = badString(node);
      if (bad) return invalidString(at, bad);
    } else if (typeof node === 'number' && !Number.isFinite(node)) {
      // JSON.parse turns 1e400 into Infinity, which JSON and jsonb cannot hold: it would be stored as null.
      return new ApiError('BAD_REQUEST', 'Numbers must be finite: this one is too large for JSON to hold', [
        { path: at, message: 'is a number too large to store' },
      ]);
    } else if (node !== null && typeof node === 'object') {
      if (depth >= MAX_BODY_DEPTH) {
        return new ApiError('BAD_REQUEST', `The body nests deeper than ${MAX_BODY_DEPTH} levels`, [
          { path: at, message: `nests deeper than ${MAX_BODY_DEPTH} levels` },
        ]);
      }
      for (const [key, child] of Object.entries(node)) {
        const bad = badString(key);
        if (bad) return invalidString(at, bad);
        if (isPrototypeKey(key, child)) {
          return new ApiError('BAD_REQUEST', `The key ${key} is not accepted in a body`, [
            { path: `${at}.${key}`, message: 'is a reserved key' },
          ]);
        }
        stack.push([child, `${at}.${key}`, depth + 1]);
      }
    }
  }
  return undefined;
}

/**
 * `__proto__` (JSON.parse keeps it as an own key, which spreads, merges and Prisma then drop or choke on)
 * and `constructor.prototype` are the prototype-pollution keys; refused as secure-json-parse does.
 */
const isPrototypeKey = (key: string, value: unknown) =>
  key === '__proto__' || (key === 'constructor' && value !== null && typeof value === 'object' && Object.hasOwn(value, 'prototype'));

// With the u flag a well-formed pair is one code point, so only unpaired surrogates match.
const LONE_SURROGATE = /\p{Cs}/u;
const badString = (s: string): 'nul' | 'surrogate' | undefined =>
  s.includes('\0') ? 'nul' : LONE_SURROGATE.test(s) ? 'surrogate' : undefined;

function invalidString(path: string, bad: 'nul' | 'surrogate'): ApiError {
  return bad === 'nul'
    ? new ApiError('BAD_REQUEST', 'Strings may not contain NUL (\\u0000) characters', [{ path, message: 'contains a NUL character' }])
    : new ApiError('BAD_REQUEST', 'Strings may not contain unpaired UTF-16 surrogates (\\ud800-\\udfff)', [
        { path, message: 'contains an unpaired surrogate' },
      ]);
}
