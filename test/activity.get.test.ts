import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API, createAgent, createApiKey } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

/** GET /activity/{id}: one feed row, readable by id exactly when the caller's feed would show it. */

let h: Harness;
let owner: Tenant;
let admin: Tenant;
let member1: Tenant;
let member2: Tenant;
beforeAll(async () => {
  h = await startHarness();
  owner = await h.tenant();
  admin = await h.colleague(owner, { role: 'admin' });
  member1 = await h.colleague(owner, { role: 'member' });
  member2 = await h.colleague(owner, { role: 'member' });
});
afterAll(() => h.close());

const get = (who: { auth: Record<string, string> } | Record<string, string>, id: string) =>
  h.http.get(`${API}/activity/${id}`).set('auth' in who ? (who.auth as Record<string, string>) : who);
const rowOf = async (subjectId: string, kind: string) => (await h.db.prisma.activity.findFirstOrThrow({ where: { subjectId, kind } })).id;
const feedItem = async (t: Tenant, id: string) => {
  const feed = expectSuccess(await h.http.get(`${API}/mission-control?limit=100`).set(t.auth));
  return feed.activity.items.find((i: { id: string }) => i.id === id);
};

describe('GET /activity/{id}', () => {
  it('answers the row exactly as the feed shows it', async () => {
    const agent = await createAgent(h, member1, { name: 'Feed Row' });
    const id = await rowOf(agent.id, 'agent.created');
    const row = expectSuccess(await get(member1, id));
    expect(row).toEqual(await feedItem(member1, id));
    expect(row).toMatchObject({ kind: 'agent.created', subject: { type: 'agent', id: agent.id }, workspaceId: member1.workspaceId });
  });

  it('follows the feed’s visibility: workspaces, key-private rows and other organizations are 404', async () => {
    const inWorkspace1 = await rowOf((await createAgent(h, member1, { name: 'In Workspace 1' })).id, 'agent.created');
    const keyRow = await rowOf((await createApiKey(h, member1, { name: 'private key' })).id, 'api_key.minted');
    const orgWide = await rowOf(
      (await h.db.prisma.agent.findFirstOrThrow({ where: { orgId: owner.orgId, isDefault: true } })).id,
      'agent.created',
    );
    // Every member sees org-wide rows; each member only their own workspace and their own keys.
    for (const t of [owner, admin, member1, member2]) expectSuccess(await get(t, orgWide));
    for (const t of [owner, admin, member1]) expectSuccess(await get(t, inWorkspace1));
    for (const t of [owner, admin, member1]) expectSuccess(await get(t, keyRow));
    for (const id of [inWorkspace1, keyRow]) {
      const refused = await get(member2, id);
      expectError(refused, 'NOT_FOUND');
      expect(await feedItem(member2, id)).toBeUndefined();
    }
    const stranger = await h.tenant();
    for (const id of [inWorkspace1, keyRow, orgWide]) expectError(await get(stranger, id), 'NOT_FOUND');
    // A foreign row answers exactly like a missing one.
    const foreign = expectError(await get(stranger, orgWide), 'NOT_FOUND');
    const missing = expectError(await get(stranger, randomUUID()), 'NOT_FOUND');
    expect(foreign.message).toBe(missing.message);
  });

  it('needs activity:read; a row in a deleted workspace is gone with it', async () => {
    const id = await rowOf((await createAgent(h, owner, { name: 'Scoped Read' })).id, 'agent.created');
    expectSuccess(await get({ Authorization: `Bearer ${await h.keyWithScopes(owner, ['activity:read'])}` }, id));
    expectError(await get({ Authorization: `Bearer ${await h.keyWithScopes(owner, ['agents:read'])}` }, id), 'FORBIDDEN');
    const other = await h.colleague(owner, { role: 'member' });
    const gone = await rowOf((await createAgent(h, other, { name: 'Gone With Workspace' })).id, 'agent.created');
    expectSuccess(await get(owner, gone));
    await h.db.prisma.workspace.update({ where: { id: other.workspaceId }, data: { deletedAt: new Date() } });
    expectError(await get(owner, gone), 'NOT_FOUND');
  });
});
