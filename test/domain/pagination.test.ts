import { describe, expect, it } from 'vitest';
import { after, decodeCursor, encodeCursor, toPage } from '../../server/domain/pagination.js';
import { asData, thrown } from './thrown.js';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const AT = new Date('2024-01-02T03:04:05.678Z');
const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const REFUSED = {
  status: 422,
  code: 'VALIDATION_ERROR',
  message: 'The cursor is not valid; pass back a nextCursor exactly as received',
  details: [{ path: 'query.cursor', message: 'is not a cursor this API issued' }],
};
const refused = (cursor: string) => asData(thrown(() => decodeCursor(cursor)));

describe('encodeCursor / decodeCursor', () => {
  it('encodes [iso, id] as unpadded base64url JSON', () => {
    expect(encodeCursor({ at: AT, id: ID })).toBe(
      'WyIyMDI0LTAxLTAyVDAzOjA0OjA1LjY3OFoiLCIwZjhmYWQ1Yi1kOWNiLTQ2OWYtYTE2NS03MDg2NzcyODk1MGUiXQ',
    );
  });

  it('decodes what it encodes, to an equal date and id', () => {
    for (const at of [AT, new Date('0001-01-01T00:00:00.000Z'), new Date('9999-12-31T23:59:59.999Z'), new Date(0)]) {
      const k = decodeCursor(encodeCursor({ at, id: ID }));
      expect(k).toEqual({ at, id: ID });
      expect(k!.at).toBeInstanceOf(Date);
    }
  });

  it('gives undefined for no cursor', () => {
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it('refuses what is not base64url JSON of a pair, with one exact 422', () => {
    for (const c of ['', 'not-a-cursor', raw('text'), raw(null), raw([]), raw({ at: AT.toISOString(), id: ID })])
      expect(refused(c), c).toEqual(REFUSED);
  });

  it('refuses a timestamp in any form but the one it writes', () => {
    for (const at of [
      '2024-01-02T03:04:05Z',
      '2024-01-02T03:04:05.6Z',
      '2024-01-02T03:04:05.678+00:00',
      '2024-01-02 03:04:05.678Z',
      '2024-01-02',
      ' 2024-01-02T03:04:05.678Z',
      '2024-01-02T03:04:05.678Z ',
      'x2024-01-02T03:04:05.678Z',
      '2024-01-02T03:04:05.678Zx',
      '+010000-01-01T00:00:00.000Z',
      '-000001-01-01T00:00:00.000Z',
      AT.getTime(),
      null,
      [AT.toISOString()],
    ]) {
      expect(refused(raw([at, ID])), String(at)).toEqual(REFUSED);
    }
  });

  it('refuses impossible dates that Date would roll over, and the year 0', () => {
    for (const at of [
      '2024-02-30T00:00:00.000Z',
      '2023-02-29T00:00:00.000Z',
      '2024-04-31T00:00:00.000Z',
      '2024-01-01T24:00:00.000Z',
      '2024-13-01T00:00:00.000Z',
      '2024-01-01T23:59:60.000Z',
      '0000-01-01T00:00:00.000Z',
    ]) {
      expect(refused(raw([at, ID])), at).toEqual(REFUSED);
    }
    expect(decodeCursor(raw(['2024-02-29T00:00:00.000Z', ID]))).toEqual({ at: new Date('2024-02-29T00:00:00.000Z'), id: ID });
  });

  it('refuses an id that is not a lowercase UUID', () => {
    for (const id of [ID.toUpperCase(), `${ID}0`, `0${ID}`, `x${ID}`, `${ID}x`, ID.slice(1), 'ala', '', 42, null, [ID]]) {
      expect(refused(raw([AT.toISOString(), id])), String(id)).toEqual(REFUSED);
    }
  });
});

describe('after', () => {
  it('is no filter without a cursor', () => {
    expect(after('createdAt', undefined)).toEqual({});
    expect(after('createdAt', undefined, 'asc')).toEqual({});
  });

  it('is field <= at AND (field < at OR id < k.id) in descending order, the default', () => {
    const want = { createdAt: { lte: AT }, OR: [{ createdAt: { lt: AT } }, { id: { lt: ID } }] };
    expect(after('createdAt', { at: AT, id: ID })).toEqual(want);
    expect(after('createdAt', { at: AT, id: ID }, 'desc')).toEqual(want);
  });

  it('is field >= at AND (field > at OR id > k.id) in ascending order', () => {
    expect(after('sentAt', { at: AT, id: ID }, 'asc')).toEqual({ sentAt: { gte: AT }, OR: [{ sentAt: { gt: AT } }, { id: { gt: ID } }] });
  });
});

describe('toPage', () => {
  const rows = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: `0000000${i}-0000-4000-8000-000000000000`,
      at: new Date(Date.UTC(2024, 0, 1, 0, 0, 0, 100 - i)),
    }));
  const page = (n: number, limit: number) =>
    toPage(
      rows(n),
      limit,
      (r) => r.at,
      (r) => r.id,
    );

  it('with limit + 1 rows: limit items, hasMore, and a cursor at the last item shown', () => {
    const r = rows(4);
    const p = page(4, 3);
    expect(p).toEqual({
      items: r.slice(0, 3).map((x) => x.id),
      limit: 3,
      hasMore: true,
      nextCursor: encodeCursor({ at: r[2]!.at, id: r[2]!.id }),
    });
    expect(decodeCursor(p.nextCursor!)).toEqual({ at: r[2]!.at, id: r[2]!.id });
  });

  it('a page that comes back exactly full is the last one', () => {
    expect(page(3, 3)).toEqual({ items: rows(3).map((x) => x.id), limit: 3, hasMore: false, nextCursor: null });
  });

  it('a short or empty page is the last one', () => {
    expect(page(1, 3)).toEqual({ items: [rows(1)[0]!.id], limit: 3, hasMore: false, nextCursor: null });
    expect(page(0, 3)).toEqual({ items: [], limit: 3, hasMore: false, nextCursor: null });
  });

  it('maps every row shown and no other', () => {
    const seen: string[] = [];
    toPage(
      rows(3),
      2,
      (r) => r.at,
      (r) => seen.push(r.id),
    );
    expect(seen).toEqual(rows(2).map((x) => x.id));
  });

  it('with nothing to show has no cursor even when more rows exist', () => {
    expect(page(1, 0)).toEqual({ items: [], limit: 0, hasMore: true, nextCursor: null });
  });
});
