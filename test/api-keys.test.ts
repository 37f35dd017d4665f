import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../server/domain/keys.js';
import { expectError, expectInvalid, expectSuccess, ISO, UUID } from './helpers/envelope.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
});
afterAll(() => h.close());

const LISTED_FIELDS = ['createdAt', 'env', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'scopes'];
const KEY = /^alm_test_[0-9a-f]{48}$/;
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const mint = (who: { auth: Record<string, string> }, body: Record<string, unknown> = { name: 'k' }) =>
  h.http.post('/api/v1/api-keys').set(who.auth).send(body);
const keyCount = (where: { orgId?: string; userId?: string } = { orgId: t.orgId }) => h.db.prisma.apiKey.count({ where });

type Page = { items: Array<{ id: string } & Record<string, any>>; limit: number; nextCursor: string | null; hasMore: boolean };

describe('POST /api/v1/api-keys', () => {
  it('mints alm_test_<48 lowercase hex>, returned once with its 12-character prefix, env test and the caller scopes', async () => {
    const data = expectSuccess(await mint(t, { name: 'CI deploys' }), 201);
    expect(Object.keys(data).sort()).toEqual([...LISTED_FIELDS, 'key'].sort());
    expect(data.key).toMatch(KEY);
    expect(data.prefix).toBe(data.key.slice(0, 12));
    expect(data).toMatchObject({ name: 'CI deploys', env: 'test', scopes: ['*'], lastUsedAt: null, expiresAt: null, revokedAt: null });
    expect(data.id).toMatch(UUID);
    expect(data.createdAt).toMatch(ISO);
    // The new key works at once.
    expect(expectSuccess(await h.http.get('/api/v1/me').set(bearer(data.key))).apiKey.id).toBe(data.id);
  });

  it('mints a different secret every time', async () => {
    const keys = [];
    for (let i = 0; i < 5; i++) keys.push(expectSuccess(await mint(t), 201).key);
    expect(new Set(keys).size).toBe(5);
  });

  it('defaults scopes to those of the calling key, and grants a narrower set when asked', async () => {
    const caller = await h.keyWithScopes(t, ['keys:read', 'keys:write', 'agents:read']);
    const same = expectSuccess(await h.http.post('/api/v1/api-keys').set(bearer(caller)).send({ name: 'same' }), 201);
    expect([...same.scopes].sort()).toEqual(['agents:read', 'keys:read', 'keys:write']);
    const narrow = expectSuccess(
      await h.http
        .post('/api/v1/api-keys')
        .set(bearer(caller))
        .send({ name: 'narrow', scopes: ['agents:read'] }),
      201,
    );
    expect(narrow.scopes).toEqual(['agents:read']);
  });

  it('accepts an expiry in the future and refuses one in the past with 422', async () => {
    const future = new Date(Date.now() + 86_400_000);
    const later = expectSuccess(await mint(t, { name: 'expiring', expiresAt: future.toISOString() }), 201);
    expect(later.expiresAt).toBe(future.toISOString());
    expect(expectSuccess(await mint(t, { name: 'forever', expiresAt: null }), 201).expiresAt).toBeNull();
    const before = await keyCount();
    expectInvalid(await mint(t, { name: 'expired', expiresAt: new Date(Date.now() - 60_000).toISOString() }), 'VALIDATION_ERROR', [
      'body.expiresAt',
    ]);
    expect(await keyCount()).toBe(before);
  });

  it('trims the name and refuses one that is blank after trimming with 422', async () => {
    expect(expectSuccess(await mint(t, { name: '  padded  ' }), 201).name).toBe('padded');
    const before = await keyCount();
    expectInvalid(await mint(t, { name: '   ' }), 'VALIDATION_ERROR', ['body.name']);
    expectInvalid(await mint(t, { name: '' }), 'VALIDATION_ERROR', ['body.name']);
    expect(await keyCount()).toBe(before);
  });
});

describe('storage', () => {
  it('stores only the sha256 hash and the prefix: the secret appears in no column of any table', async () => {
    const data = expectSuccess(await mint(t, { name: 'stored' }), 201);
    const key: string = data.key;
    const secret = key.slice('alm_test_'.length);
    const row = await h.db.prisma.apiKey.findUniqueOrThrow({ where: { id: data.id } });
    expect(row.hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(row.hash).toBe(hashKey(key));
    expect(row.prefix).toBe(key.slice(0, 12));

    // Every row of every table, as text.
    const tables = await h.db.prisma.$queryRaw<Array<{ table_name: string }>>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
    expect(tables.map((r) => r.table_name)).toContain('ApiKey');
    let scanned = 0;
    for (const { table_name } of tables) {
      const rows = await h.db.prisma.$queryRawUnsafe<Array<{ j: string }>>(`SELECT row_to_json(x)::text AS j FROM "${table_name}" x`);
      for (const { j } of rows) {
        scanned++;
        expect(j, table_name).not.toContain(key);
        expect(j, table_name).not.toContain(secret);
        // Nor any 16-character run of it.
        for (let i = 0; i + 16 <= secret.length; i += 8) expect(j, table_name).not.toContain(secret.slice(i, i + 16));
      }
    }
    expect(scanned).toBeGreaterThan(0);
  });
});

describe('GET /api/v1/api-keys', () => {
  it('never returns the key or its hash: exactly the listed fields', async () => {
    const data = expectSuccess(await mint(t, { name: 'listed' }), 201);
    const page = expectSuccess(await h.http.get('/api/v1/api-keys').set(t.auth));
    expect(Object.keys(page).sort()).toEqual(['hasMore', 'items', 'limit', 'nextCursor']);
    expect(page.items.length).toBeGreaterThan(0);
    for (const item of page.items) expect(Object.keys(item).sort()).toEqual(LISTED_FIELDS);
    const text = JSON.stringify(page);
    expect(text).not.toContain(data.key);
    expect(text).not.toContain(data.key.slice(-48));
    const row = await h.db.prisma.apiKey.findUniqueOrThrow({ where: { id: data.id } });
    expect(text).not.toContain(row.hash);
  });

  it('lists newest first and pages with limit, nextCursor and hasMore, without duplicates or gaps (ties included)', async () => {
    const owner = await h.tenant();
    for (let i = 0; i < 6; i++) await h.keyWithScopes(owner, ['*']);
    const rows = await h.db.prisma.apiKey.findMany({ where: { orgId: owner.orgId } });
    expect(rows).toHaveLength(7);
    // Spread creation times a minute apart, with three keys sharing one instant to exercise the id tiebreak.
    const base = Date.now() - 3_600_000;
    for (const [i, r] of rows.entries()) {
      const at = new Date(base + (i >= 2 && i <= 4 ? 2 : i) * 60_000);
      await h.db.prisma.apiKey.update({ where: { id: r.id }, data: { createdAt: at } });
    }
    const stored = await h.db.prisma.apiKey.findMany({ where: { orgId: owner.orgId } });
    const expected = stored.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)).map((r) => r.id);

    const seen: string[] = [];
    const pages: Array<{ n: number; hasMore: boolean; nextCursor: string | null; limit: number }> = [];
    let cursor: string | null = null;
    do {
      const page: Page = expectSuccess(await h.http.get(`/api/v1/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`).set(owner.auth));
      pages.push({ n: page.items.length, hasMore: page.hasMore, nextCursor: page.nextCursor, limit: page.limit });
      seen.push(...page.items.map((k: { id: string }) => k.id));
      cursor = page.nextCursor;
    } while (cursor && pages.length < 10);

    expect(seen).toEqual(expected);
    expect(pages.map((p) => p.n)).toEqual([2, 2, 2, 1]);
    expect(pages.map((p) => p.hasMore)).toEqual([true, true, true, false]);
    expect(pages.every((p) => p.limit === 2)).toBe(true);
    expect(pages.at(-1)!.nextCursor).toBeNull();
    // Without a limit, one page of up to 100 holds them all, in the same order.
    const all = expectSuccess(await h.http.get('/api/v1/api-keys').set(owner.auth));
    expect(all).toMatchObject({ limit: 100, hasMore: false, nextCursor: null });
    expect(all.items.map((k: { id: string }) => k.id)).toEqual(expected);
  });

  it('refuses a cursor it did not issue with 422 on query.cursor', async () => {
    const forged = Buffer.from(JSON.stringify(['not a date', 'x'])).toString('base64url');
    for (const cursor of ['abc', forged, Buffer.from('{"a":1}').toString('base64url')]) {
      expectInvalid(await h.http.get(`/api/v1/api-keys?cursor=${cursor}`).set(t.auth), 'VALIDATION_ERROR', ['query.cursor']);
    }
  });
});

describe('DELETE /api/v1/api-keys/:id', () => {
  const revokedAt = async (id: string) => (await h.db.prisma.apiKey.findUniqueOrThrow({ where: { id } })).revokedAt;

  it('revokes: revokedAt is set in the answer and in the database', async () => {
    const data = expectSuccess(await mint(t, { name: 'to revoke' }), 201);
    const revoked = expectSuccess(await h.http.delete(`/api/v1/api-keys/${data.id}`).set(t.auth));
    expect(Object.keys(revoked).sort()).toEqual(LISTED_FIELDS);
    expect(revoked.revokedAt).toMatch(ISO);
    expect((await revokedAt(data.id))!.toISOString()).toBe(revoked.revokedAt);
  });

  it('answers 404 for an id that does not exist', async () => {
    expectError(await h.http.delete('/api/v1/api-keys/7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f').set(t.auth), 'NOT_FOUND');
  });

  it('answers 409 CONFLICT to a second revoke and keeps the first revokedAt', async () => {
    const data = expectSuccess(await mint(t, { name: 'twice' }), 201);
    expectSuccess(await h.http.delete(`/api/v1/api-keys/${data.id}`).set(t.auth));
    const first = await revokedAt(data.id);
    expectError(await h.http.delete(`/api/v1/api-keys/${data.id}`).set(t.auth), 'CONFLICT');
    expect(await revokedAt(data.id)).toEqual(first);
  });

  it('lets exactly one of 10 concurrent revokes win; the other 9 get 409', async () => {
    const data = expectSuccess(await mint(t, { name: 'raced' }), 201);
    const answers = await Promise.all(Array.from({ length: 10 }, () => h.http.delete(`/api/v1/api-keys/${data.id}`).set(t.auth)));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    const losers = answers.filter((r) => r.status !== 200);
    expect(losers).toHaveLength(9);
    for (const r of losers) expectError(r, 'CONFLICT');
  });
});

describe('sensitive-route rate limit on minting', () => {
  it('answers the mint over the bucket with 400 BAD_REQUEST "Too many requests", per user', async () => {
    const limited = await h.rebuild({ DISABLE_RATE_LIMIT: '0', KEY_MINT_LIMIT_PER_MINUTE: '3' });
    const owner = await h.tenant();
    const colleague = await h.colleague(owner, { role: 'admin' });
    for (let i = 0; i < 3; i++)
      expectSuccess(
        await limited.http
          .post('/api/v1/api-keys')
          .set(owner.auth)
          .send({ name: `n${i}` }),
        201,
      );
    const before = await keyCount({ orgId: owner.orgId });
    const over = await limited.http.post('/api/v1/api-keys').set(owner.auth).send({ name: 'one too many' });
    expect(expectError(over, 'BAD_REQUEST').message).toContain('Too many requests');
    expect(await keyCount({ orgId: owner.orgId })).toBe(before);
    // Another user has a bucket of their own; reading is not limited.
    expectSuccess(await limited.http.post('/api/v1/api-keys').set(colleague.auth).send({ name: 'mine' }), 201);
    expectSuccess(await limited.http.get('/api/v1/api-keys').set(owner.auth));
  });

  it('DISABLE_RATE_LIMIT=1 lifts the limit outside production', async () => {
    const unlimited = await h.rebuild({ DISABLE_RATE_LIMIT: '1', KEY_MINT_LIMIT_PER_MINUTE: '1' });
    const owner = await h.tenant();
    for (let i = 0; i < 3; i++)
      expectSuccess(
        await unlimited.http
          .post('/api/v1/api-keys')
          .set(owner.auth)
          .send({ name: `n${i}` }),
        201,
      );
  });

  it('ignores DISABLE_RATE_LIMIT=1 in production', async () => {
    const prod = await h.rebuild({ NODE_ENV: 'production', DISABLE_RATE_LIMIT: '1', KEY_MINT_LIMIT_PER_MINUTE: '2' });
    const owner = await h.tenant();
    const live = bearer(await h.mintKey(owner, { env: 'live' }));
    for (let i = 0; i < 2; i++) {
      expect(
        expectSuccess(
          await prod.http
            .post('/api/v1/api-keys')
            .set(live)
            .send({ name: `n${i}` }),
          201,
        ).key,
      ).toMatch(/^alm_live_/);
    }
    const over = await prod.http.post('/api/v1/api-keys').set(live).send({ name: 'over' });
    expect(expectError(over, 'BAD_REQUEST').message).toContain('Too many requests');
  });
});
