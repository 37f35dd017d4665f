import { ApiError } from '../errors.js';

/** A position in a list ordered by (timestamp desc, id desc). */
export interface Keyset {
  at: Date;
  id: string;
}

export interface Page<T> {
  items: T[];
  limit: number;
  nextCursor: string | null;
  hasMore: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// No end anchor: decodeCursor also requires `toISOString() === at`, which already refuses anything after the Z.
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/;

export function encodeCursor(k: Keyset): string {
  return Buffer.from(JSON.stringify([k.at.toISOString(), k.id])).toString('base64url');
}

/** Cursors are opaque to clients; a damaged one is a 422 on `query.cursor`, never a 500. */
export function decodeCursor(cursor: string | undefined): Keyset | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    // Exactly the form encodeCursor writes, years 1 to 9999: -271821 or 0000 is a valid Date but not a
    // timestamp PostgreSQL accepts.
    // Stryker disable next-line ConditionalExpression: equivalent for `true` (`false` is killed): a non-string at fails ISO_MS, throws on startsWith, or differs from toISOString()
    const isString = typeof at === 'string';
    const date = isString && ISO_MS.test(at) && !at.startsWith('0000') ? new Date(at) : new Date(NaN);
    if (Number.isNaN(date.getTime()) || date.toISOString() !== at || typeof id !== 'string' || !UUID.test(id)) {
      // Stryker disable next-line StringLiteral: equivalent; the catch below replaces this error, its message is never read
      throw new Error('bad cursor');
    }
    return { at: date, id };
  } catch {
    throw new ApiError('VALIDATION_ERROR', 'The cursor is not valid; pass back a nextCursor exactly as received', [
      { path: 'query.cursor', message: 'is not a cursor this API issued' },
    ]);
  }
}

/**
 * Prisma filter for the rows after `k` in (field, id) order, both descending or both ascending:
 * `field <= at AND (field < at OR id < k.id)` for descending order. The first conjunct is what lets
 * PostgreSQL start a range scan of the (orgId, field, id) index at the cursor, so a deep page costs what
 * the first page costs; the plain OR of the textbook form would scan from the top. Never an OFFSET.
 */
export function after<F extends string>(field: F, k: Keyset | undefined, order: 'asc' | 'desc' = 'desc') {
  if (!k) return {};
  const [upTo, beyond] = order === 'desc' ? (['lte', 'lt'] as const) : (['gte', 'gt'] as const);
  return { [field]: { [upTo]: k.at }, OR: [{ [field]: { [beyond]: k.at } }, { id: { [beyond]: k.id } }] };
}

/** Fetch limit + 1 rows, then call this to cut the page and compute the cursor. */
export function toPage<R extends { id: string }, T>(rows: R[], limit: number, at: (row: R) => Date, map: (row: R) => T): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(map),
    limit,
    nextCursor: hasMore && last ? encodeCursor({ at: at(last), id: last.id }) : null,
    hasMore,
  };
}
