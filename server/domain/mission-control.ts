import { ACTIVITY_KINDS } from './activity.js';
import { ApiError } from '../errors.js';

/** Rules of the mission control snapshot and its feed filters, free of the database. */

export const FEED_DEFAULT_LIMIT = 50;
/** At most this many agents are listed one by one (most recently updated first); the totals count them all. */
export const AGENTS_SHOWN = 50;
export const DAY_MS = 24 * 60 * 60 * 1000;

/** The kind prefixes a filter may name as `<prefix>.*`: every subject of ACTIVITY_KINDS. */
export const KIND_PREFIXES = [...new Set(ACTIVITY_KINDS.map((k) => k.split('.')[0]!))];

/** Every value the `kind` filter accepts: an exact kind or a subject prefix. */
export const KIND_FILTERS: readonly string[] = [...ACTIVITY_KINDS, ...KIND_PREFIXES.map((p) => `${p}.*`)];

/** The kinds a `kind` filter selects: itself, or every kind under `<prefix>.*`. Anything else is a 422. */
export function kindsMatching(filter: string): string[] {
  const kinds = filter.endsWith('.*')
    ? ACTIVITY_KINDS.filter((k) => k.startsWith(filter.slice(0, -1)))
    : ACTIVITY_KINDS.filter((k) => k === filter);
  if (kinds.length === 0) {
    throw new ApiError('VALIDATION_ERROR', 'Unknown activity kind', [
      { path: 'query.kind', message: `must be one of the activity kinds or a prefix such as agent.*` },
    ]);
  }
  return kinds;
}

/** An ILIKE pattern matching `search` anywhere, with the pattern characters `%`, `_` and `\` taken literally. */
export const containsPattern = (search: string) => `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (ref: string) => UUID.test(ref);
