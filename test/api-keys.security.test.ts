import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectSuccess, type HttpResult } from './helpers/envelope.js';
import { createApiKey } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { describeRouteSecurity } from './helpers/security.js';

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
});
afterAll(() => h.close());

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const mint = (who: { auth: Record<string, string> }, body: Record<string, unknown> = { name: 'k' }) =>
  h.http.post('/api/v1/api-keys').set(who.auth).send(body);
const keyCount = (where: { orgId?: string; userId?: string } = { orgId: t.orgId }) => h.db.prisma.apiKey.count({ where });

type Page = { items: Array<{ id: string } & Record<string, any>>; limit: number; nextCursor: string | null; hasMore: boolean };

/** Every key the caller can see, following cursors to the end. */
async function listAll(auth: Record<string, string>, limit = 100) {
  const items: Array<Record<string, any>> = [];
  let cursor: string | null = null;
  do {
    const res: HttpResult = await h.http.get(`/api/v1/api-keys?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`).set(auth);
    const page: Page = expectSuccess(res);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

describeRouteSecurity(
  () => h,
  [
    {
      method: 'delete',
      route: '/api-keys/:id',
      scopes: ['keys:write'],
      target: async (harness, owner) => {
        const key = await createApiKey(harness, owner, { name: 'guarded' });
        return {
          paths: [`/api-keys/${key.id}`],
          snapshot: () => harness.db.prisma.apiKey.findUnique({ where: { id: key.id } }),
        };
      },
    },
  ],
);

describe('POST /api/v1/api-keys permissions', () => {
  it('refuses scopes wider than the caller holds with 403 FORBIDDEN, minting nothing', async () => {
    const caller = await h.keyWithScopes(t, ['keys:write']);
    const before = await keyCount();
    for (const scopes of [['agents:read'], ['*'], ['keys:write', 'sessions:write']]) {
      expectError(await h.http.post('/api/v1/api-keys').set(bearer(caller)).send({ name: 'wider', scopes }), 'FORBIDDEN');
    }
    expect(await keyCount()).toBe(before);
  });
});

describe('GET /api/v1/api-keys visibility', () => {
  it('shows members only their own keys, and owners and admins every key of the org', async () => {
    const owner = await h.tenant();
    const member = await h.colleague(owner, { role: 'member' });
    const admin = await h.colleague(owner, { role: 'admin' });
    await h.keyWithScopes(member, ['keys:read']);
    const outsider = await h.tenant();

    const orgIds = (await h.db.prisma.apiKey.findMany({ where: { orgId: owner.orgId } })).map((k) => k.id).sort();
    const memberIds = (await h.db.prisma.apiKey.findMany({ where: { orgId: owner.orgId, userId: member.userId } })).map((k) => k.id).sort();
    expect(memberIds.length).toBe(2);
    expect(orgIds.length).toBe(4);

    expect((await listAll(owner.auth)).map((k) => k.id).sort()).toEqual(orgIds);
    expect((await listAll(admin.auth)).map((k) => k.id).sort()).toEqual(orgIds);
    expect((await listAll(member.auth)).map((k) => k.id).sort()).toEqual(memberIds);
    // Another organization's owner sees none of them.
    expect((await listAll(outsider.auth)).filter((k) => orgIds.includes(k.id))).toEqual([]);
  });
});

describe('DELETE /api/v1/api-keys/:id across tenants and ranks', () => {
  const revokedAt = async (id: string) => (await h.db.prisma.apiKey.findUniqueOrThrow({ where: { id } })).revokedAt;

  it("answers 404 for another organization's key and leaves it alone", async () => {
    const other = await h.tenant();
    const theirs = await h.db.prisma.apiKey.findFirstOrThrow({ where: { orgId: other.orgId } });
    expectError(await h.http.delete(`/api/v1/api-keys/${theirs.id}`).set(t.auth), 'NOT_FOUND');
    expect(await revokedAt(theirs.id)).toBeNull();
    expectSuccess(await h.http.get('/api/v1/me').set(other.auth));
  });

  it("answers 404 to a member revoking someone else's key; members revoke their own, admins theirs and members'", async () => {
    const owner = await h.tenant();
    const member = await h.colleague(owner, { role: 'member' });
    const admin = await h.colleague(owner, { role: 'admin' });
    const ownerKey = await h.db.prisma.apiKey.findFirstOrThrow({ where: { userId: owner.userId, orgId: owner.orgId } });
    const memberKey = expectSuccess(await mint(member, { name: 'mine' }), 201);

    expectError(await h.http.delete(`/api/v1/api-keys/${ownerKey.id}`).set(member.auth), 'NOT_FOUND');
    expect(await revokedAt(ownerKey.id)).toBeNull();
    expectSuccess(await h.http.get('/api/v1/me').set(owner.auth));

    expectSuccess(await h.http.delete(`/api/v1/api-keys/${memberKey.id}`).set(member.auth));
    const another = expectSuccess(await mint(member, { name: 'mine too' }), 201);
    expectSuccess(await h.http.delete(`/api/v1/api-keys/${another.id}`).set(admin.auth));
    const adminsOwn = expectSuccess(await mint(admin, { name: 'admin own' }), 201);
    expectSuccess(await h.http.delete(`/api/v1/api-keys/${adminsOwn.id}`).set(admin.auth));
  });

  it('lets nobody revoke the keys of a user ranked as high or higher, whatever scopes the key holds', async () => {
    const owner = await h.tenant();
    const admin = await h.colleague(owner, { role: 'admin' });
    const otherAdmin = await h.colleague(owner, { role: 'admin' });
    const ownerKey = await h.db.prisma.apiKey.findFirstOrThrow({ where: { userId: owner.userId, orgId: owner.orgId } });
    const otherAdminKey = expectSuccess(await mint(otherAdmin, { name: 'other admin' }), 201);
    const narrow = { Authorization: `Bearer ${await h.keyWithScopes(admin, ['keys:write'])}` };
    for (const auth of [admin.auth, narrow]) {
      for (const target of [ownerKey.id, otherAdminKey.id]) {
        const error = expectError(await h.http.delete(`/api/v1/api-keys/${target}`).set(auth), 'FORBIDDEN');
        expect(error.message).toMatch(/ranked below you/);
        expect(await revokedAt(target)).toBeNull();
      }
    }
    expectSuccess(await h.http.get('/api/v1/me').set(owner.auth));
    // The owner outranks everyone.
    expectSuccess(await h.http.delete(`/api/v1/api-keys/${otherAdminKey.id}`).set(owner.auth));
  });
});
