import { ApiError } from '../errors.js';
import { MAX_NAME_LENGTH, collapseWhitespace, refusedInvisible } from './agent-names.js';
import { PROJECT_METADATA_LIMITS, PROJECT_SETTINGS_LIMITS, checkJsonLimits } from './json-limits.js';
import { UUID_SHAPE, slugify } from './slugs.js';

/** The slug of a project whose name leaves nothing usable for one. */
export const FALLBACK_PROJECT_SLUG = 'project';

const invalidName = (message: string) => new ApiError('VALIDATION_ERROR', `name ${message}`, [{ path: 'body.name', message }]);

/**
 * The name to store: whitespace collapsed, otherwise as sent; 422 for an invisible character or a length
 * outside 1..255 after collapsing. The agent name rules without the reserved name.
 */
export function projectName(raw: string): string {
  const invisible = refusedInvisible(raw);
  if (invisible) throw invalidName(`must not contain the invisible character ${invisible.codePoint} (character ${invisible.position})`);
  const name = collapseWhitespace(raw);
  if (name.length < 1 || name.length > MAX_NAME_LENGTH)
    throw invalidName(`must be 1 to ${MAX_NAME_LENGTH} characters after collapsing whitespace`);
  return name;
}

/**
 * The slug a project name starts from: the agent rules of `slugify`, except that a name with nothing
 * usable gives `project`. slugify answers `agent` for those; a name that really spells "agent" still
 * does once a letter is put in front of it, an empty one gives just that letter.
 */
export function projectSlugBase(name: string): string {
  return slugify(`x${name}`) === 'x' ? FALLBACK_PROJECT_SLUG : slugify(name);
}

/** A slug a client asks for: never UUID-shaped, since it would read as an id. */
export function checkedProjectSlug(slug: string): string {
  if (UUID_SHAPE.test(slug)) {
    throw new ApiError('VALIDATION_ERROR', 'A slug may not be shaped like a UUID', [
      { path: 'body.slug', message: 'must not be shaped like a UUID' },
    ]);
  }
  return slug;
}

/** Metadata as stored: 32 KB, 12 levels (422 beyond). */
export function projectMetadata(value: Record<string, unknown>): Record<string, unknown> {
  checkJsonLimits(value, PROJECT_METADATA_LIMITS, 'body.metadata');
  return value;
}

/** Settings as stored: 8 KB, 8 levels (422 beyond). */
export function projectSettings(value: Record<string, unknown>): Record<string, unknown> {
  checkJsonLimits(value, PROJECT_SETTINGS_LIMITS, 'body.settings');
  return value;
}

/** The empty PATCH body, refused as on agents. */
export function checkNotEmpty(body: object): void {
  if (Object.keys(body).length === 0) throw new ApiError('BAD_REQUEST', 'The body is empty: send at least one field to change');
}
