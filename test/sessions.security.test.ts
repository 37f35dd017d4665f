import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../generated/sdk/types.gen.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API, createSession, deleteSession, postMessage } from './helpers/fixtures.js';
import { ids, sorted } from './helpers/lists.js';
import { refusedCreate, refusedPost } from './helpers/refusals.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { describeRouteSecurity, type RouteCase } from './helpers/security.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const sessionRow = (id: string) => h.db.prisma.session.findUniqueOrThrow({ where: { id } });

/** The session as GET /sessions/:id answers it. */
const readSession = async (t: Tenant, id: string) => expectSuccess<Session>(await h.http.get(`${API}/sessions/${id}`).set(t.auth));
/** The ids of the first page (up to 100) of GET /sessions. */
const listedIds = async (t: Tenant) => ids(expectSuccess<{ items: Session[] }>(await h.http.get(`${API}/sessions`).set(t.auth)).items);

/** A session in the owner's current workspace, with one message; addressed by UUID only. */
async function sessionTarget(harness: Harness, owner: Tenant, suffix: string) {
  const session = await createSession(harness, owner, { agentIds: ['ala'] });
  await postMessage(harness, owner, session.id, { content: 'guarded' });
  return {
    paths: [`/sessions/${session.id}${suffix}`],
    snapshot: async () => ({
      session: await harness.db.prisma.session.findUnique({ where: { id: session.id } }),
      messages: await harness.db.prisma.message.findMany({ where: { sessionId: session.id }, orderBy: { id: 'asc' } }),
    }),
  };
}
const at =
  (suffix: string): RouteCase['target'] =>
  (harness, owner) =>
    sessionTarget(harness, owner, suffix);

describeRouteSecurity(
  () => h,
  [
    { method: 'get', route: '/sessions/:id', scopes: ['sessions:read'], target: at('') },
    { method: 'delete', route: '/sessions/:id', scopes: ['sessions:write'], target: at('') },
    { method: 'get', route: '/sessions/:id/messages', scopes: ['sessions:read'], target: at('/messages') },
    { method: 'post', route: '/sessions/:id/messages', scopes: ['sessions:write'], body: { content: 'intruder' }, target: at('/messages') },
  ],
);

describe('POST /api/v1/sessions security', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });

  it('answers 403 FORBIDDEN to a caller with no visible current workspace, writing nothing', async () => {
    const c = await h.colleague(t);
    await h.db.prisma.workspaceAccess.deleteMany({ where: { userId: c.userId, workspaceId: c.workspaceId } });
    await refusedCreate(h, c, { agentIds: ['ala'] }, 'FORBIDDEN');
    expect(await h.db.prisma.session.count({ where: { userId: c.userId } })).toBe(0);
    // Such a caller still lists the org-wide sessions, and nothing else.
    const orgWide = await createSession(h, t, { agentIds: ['ala'] });
    await h.db.prisma.session.update({ where: { id: orgWide.id }, data: { workspaceId: null } });
    expect(await listedIds(c)).toEqual([orgWide.id]);
  });

  it('answers 403 FORBIDDEN to a key without the sessions:write scope, writing nothing', async () => {
    const key = await h.keyWithScopes(t, ['sessions:read', 'agents:read']);
    await refusedCreate(h, { ...t, auth: { Authorization: `Bearer ${key}` } }, { agentIds: ['ala'] }, 'FORBIDDEN');
  });
});

describe('sessions across tenants and workspaces', () => {
  it("lists the current workspace's sessions and org-wide ones, never another workspace's or another org's", async () => {
    const t = await h.tenant();
    const c = await h.colleague(t);
    const other = await h.tenant();
    const mine = await createSession(h, t, { agentIds: ['ala'] });
    const theirs = await createSession(h, c, { agentIds: ['ala'] });
    const orgWide = await createSession(h, t, { agentIds: ['ala'] });
    await h.db.prisma.session.update({ where: { id: orgWide.id }, data: { workspaceId: null } });
    const foreign = await createSession(h, other, { agentIds: ['ala'] });

    expect(sorted(await listedIds(t))).toEqual(sorted([mine.id, orgWide.id]));
    expect(sorted(await listedIds(c))).toEqual(sorted([theirs.id, orgWide.id]));
    expect(await listedIds(other)).toEqual([foreign.id]);
    // The owner may open the colleague's session (owners see every workspace), but it is not in their list.
    expect((await readSession(t, theirs.id)).id).toBe(theirs.id);
    expect((await readSession(c, orgWide.id)).workspaceId).toBeNull();
  });

  it("answers 404 for another org's session, a deleted one, and one in a workspace a member cannot see", async () => {
    const t = await h.tenant();
    const member = await h.colleague(t);
    const other = await h.tenant();
    const s = await createSession(h, t, { agentIds: ['ala'] });
    const gone = await createSession(h, t, { agentIds: ['ala'] });
    await deleteSession(h, t, gone.id);

    expectError(await h.http.get(`${API}/sessions/${s.id}`).set(other.auth), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/sessions/${s.id}`).set(member.auth), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/sessions/${gone.id}`).set(t.auth), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/sessions/${randomUUID()}`).set(t.auth), 'NOT_FOUND');
    expect((await readSession(t, s.id)).id).toBe(s.id);
  });

  it("answers 404 for another org's session and for one a member cannot see, leaving it live", async () => {
    const t = await h.tenant();
    const member = await h.colleague(t);
    const other = await h.tenant();
    const s = await createSession(h, t, { agentIds: ['ala'] });
    expectError(await h.http.delete(`${API}/sessions/${s.id}`).set(other.auth), 'NOT_FOUND');
    expectError(await h.http.delete(`${API}/sessions/${s.id}`).set(member.auth), 'NOT_FOUND');
    expectError(await h.http.delete(`${API}/sessions/${randomUUID()}`).set(t.auth), 'NOT_FOUND');
    expect((await sessionRow(s.id)).deletedAt).toBeNull();
    expect((await readSession(t, s.id)).id).toBe(s.id);
  });

  it("answers 404 for a deleted session, another org's session and one a member cannot see", async () => {
    const org = await h.tenant();
    const member = await h.colleague(org);
    const other = await h.tenant();
    const gone = await createSession(h, org, { agentIds: ['ala'] });
    await deleteSession(h, org, gone.id);
    const live = await createSession(h, org, { agentIds: ['ala'] });

    await refusedPost(h, org, gone.id, { content: 'anyone?' }, 'NOT_FOUND');
    await refusedPost(h, other, live.id, { content: 'intruder' }, 'NOT_FOUND');
    await refusedPost(h, member, live.id, { content: 'intruder' }, 'NOT_FOUND');
    expectError(await h.http.post(`${API}/sessions/${randomUUID()}/messages`).set(org.auth).send({ content: 'x' }), 'NOT_FOUND');
  });

  it("answers 404 for a deleted session, another org's session and one a member cannot see", async () => {
    const t = await h.tenant();
    const member = await h.colleague(t);
    const other = await h.tenant();
    const s = await createSession(h, t, { agentIds: ['ala'] });
    await postMessage(h, t, s.id, { content: 'secret' });
    expectError(await h.http.get(`${API}/sessions/${s.id}/messages`).set(other.auth), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/sessions/${s.id}/messages`).set(member.auth), 'NOT_FOUND');
    await deleteSession(h, t, s.id);
    expectError(await h.http.get(`${API}/sessions/${s.id}/messages`).set(t.auth), 'NOT_FOUND');
  });
});
