import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, Message, Session } from '../generated/sdk/types.gen.js';
import type { ErrorCode } from '../generated/sdk/types.gen.js';
import { expectError, expectInvalid, expectSuccess, ISO, UUID } from './helpers/envelope.js';
import { API, createAgent, createSession, deleteAgent, deleteSession, getAgent, postMessage } from './helpers/fixtures.js';
import { ids, sorted, walkPages } from './helpers/lists.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

const KB32 = 32 * 1024;

/** `{}` is depth 1, `{ a: {} }` depth 2, and so on. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const sessionRows = (orgId: string) => h.db.prisma.session.count({ where: { orgId } });
const participantRows = (orgId: string) => h.db.prisma.sessionParticipant.count({ where: { session: { orgId } } });
const messageRows = (sessionId: string) => h.db.prisma.message.count({ where: { sessionId } });
const sessionRow = (id: string) => h.db.prisma.session.findUniqueOrThrow({ where: { id } });

/** The session as GET /sessions/:id answers it. */
const readSession = async (t: Tenant, id: string) => expectSuccess<Session>(await h.http.get(`${API}/sessions/${id}`).set(t.auth));
/** The ids of the first page (up to 100) of GET /sessions. */
const listedIds = async (t: Tenant) => ids(expectSuccess<{ items: Session[] }>(await h.http.get(`${API}/sessions`).set(t.auth)).items);

/** A POST /sessions that must be refused; proves that no session or participant row was written. */
async function refusedCreate(t: Tenant, body: unknown, code: 'BAD_REQUEST' | 'FORBIDDEN' | 'VALIDATION_ERROR', paths?: string[]) {
  const [before, beforeParticipants] = [await sessionRows(t.orgId), await participantRows(t.orgId)];
  const res = await h.http.post(`${API}/sessions`).set(t.auth).send(body as object);
  if (paths) expectInvalid(res, code as 'BAD_REQUEST' | 'VALIDATION_ERROR', paths);
  else expectError(res, code);
  expect(await sessionRows(t.orgId)).toBe(before);
  expect(await participantRows(t.orgId)).toBe(beforeParticipants);
}

/** A POST /sessions/:id/messages that must be refused; proves no message was written and updatedAt stayed. */
async function refusedPost(t: Tenant, sessionId: string, body: unknown, code: ErrorCode, paths?: string[]) {
  const before = await sessionRow(sessionId);
  const count = await messageRows(sessionId);
  const res = await h.http.post(`${API}/sessions/${sessionId}/messages`).set(t.auth).send(body as object);
  if (paths) expectInvalid(res, code as 'BAD_REQUEST' | 'VALIDATION_ERROR', paths);
  else expectError(res, code);
  expect(await messageRows(sessionId)).toBe(count);
  expect((await sessionRow(sessionId)).updatedAt).toEqual(before.updatedAt);
}

/** Moves a session's updatedAt to a fixed instant, so orderings do not depend on the clock. */
const setUpdatedAt = (id: string, at: Date) => h.db.prisma.session.update({ where: { id }, data: { updatedAt: at } });

describe('POST /api/v1/sessions', () => {
  let t: Tenant;
  let writer: Agent;
  let ala: Agent;
  beforeAll(async () => {
    t = await h.tenant();
    writer = await createAgent(h, t, { name: 'Writer' });
    ala = await getAgent(h, t, 'ala');
  });

  it('creates a session with agents named by UUID and by slug, in the caller\'s current workspace', async () => {
    const s = await createSession(h, t, { title: 'Weekly sync', agentIds: [writer.id, 'ala'], metadata: { relationship: 'group', topic: 'x' } });
    expect(s).toEqual({
      id: expect.stringMatching(UUID),
      orgId: t.orgId,
      workspaceId: t.workspaceId,
      title: 'Weekly sync',
      metadata: { relationship: 'group', topic: 'x' },
      agentIds: expect.any(Array),
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    expect(sorted(s.agentIds)).toEqual(sorted([writer.id, ala.id]));
    const read = await readSession(t, s.id);
    expect({ ...read, agentIds: sorted(read.agentIds) }).toEqual({ ...s, agentIds: sorted(s.agentIds) });

    const bySlug = await createSession(h, t, { agentIds: [writer.slug, ala.id] });
    expect(sorted(bySlug.agentIds)).toEqual(sorted([writer.id, ala.id]));
    expect(bySlug).toMatchObject({ title: null, metadata: {}, workspaceId: t.workspaceId });
  });

  it('accepts a UUID or a slug in upper case as the same agent', async () => {
    const s = await createSession(h, t, { agentIds: [writer.id.toUpperCase(), 'ALA'] });
    expect(s.agentIds).toEqual([writer.id, ala.id]);
  });

  it('keeps agentIds in the order the request named them', async () => {
    expect((await createSession(h, t, { agentIds: ['ala', writer.slug] })).agentIds).toEqual([ala.id, writer.id]);
    const reversed = await createSession(h, t, { agentIds: [writer.slug, 'ala'] });
    expect(reversed.agentIds).toEqual([writer.id, ala.id]);
    expect((await readSession(t, reversed.id)).agentIds).toEqual([writer.id, ala.id]);
  });

  it('auto-creates the default agent ala for a new org whose first call opens a session with it', async () => {
    const fresh = await h.tenant();
    expect(await h.db.prisma.agent.count({ where: { orgId: fresh.orgId } })).toBe(0);
    const s = await createSession(h, fresh, { agentIds: ['ala'] });
    const freshAla = await getAgent(h, fresh, 'ala');
    expect(freshAla).toMatchObject({ slug: 'ala', name: 'Ala', workspaceId: null, orgId: fresh.orgId });
    expect(s.agentIds).toEqual([freshAla.id]);
  });

  it('counts the same agent named by UUID and by slug once', async () => {
    const s = await createSession(h, t, { agentIds: [ala.id, 'ala', writer.slug, writer.id] });
    expect(sorted(s.agentIds)).toEqual(sorted([ala.id, writer.id]));
    expect(await h.db.prisma.sessionParticipant.count({ where: { sessionId: s.id } })).toBe(2);
    expect(sorted((await readSession(t, s.id)).agentIds)).toEqual(sorted([ala.id, writer.id]));
  });

  it('accepts 20 agents and refuses 0 or 21 with 422 on body.agentIds, writing nothing', async () => {
    const org = await h.tenant();
    const agents = [];
    for (let i = 0; i < 19; i++) agents.push(await createAgent(h, org, { name: `Member ${i}` }));
    const twenty = ['ala', ...agents.map((a) => a.slug)];
    const s = await createSession(h, org, { agentIds: twenty });
    expect(s.agentIds).toHaveLength(20);
    await refusedCreate(org, { agentIds: [...twenty, 'one-more'] }, 'VALIDATION_ERROR', ['body.agentIds']);
    await refusedCreate(org, { agentIds: [] }, 'VALIDATION_ERROR', ['body.agentIds']);
  });

  it('refuses a missing agentIds with 400', async () => {
    await refusedCreate(t, { title: 'no agents' }, 'BAD_REQUEST', ['body.agentIds']);
  });

  it('refuses the same string twice with 422 (uniqueItems), writing nothing', async () => {
    await refusedCreate(t, { agentIds: ['ala', 'ala'] }, 'VALIDATION_ERROR', ['body.agentIds']);
    await refusedCreate(t, { agentIds: [writer.id, 'ala', writer.id] }, 'VALIDATION_ERROR', ['body.agentIds']);
  });

  it('refuses an unknown, deleted, other-org or invisible agent with 400 on body.agentIds, writing nothing', async () => {
    const other = await h.tenant();
    const outsider = await createAgent(h, other, { name: 'Outsider' });
    const gone = await createAgent(h, t, { name: 'Gone Agent' });
    await deleteAgent(h, t, gone.id);
    // A member in another workspace of the same org cannot see agents of t's workspace.
    const member = await h.colleague(t);

    await refusedCreate(t, { agentIds: ['ala', 'nobody-here'] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(t, { agentIds: ['ala', randomUUID()] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(t, { agentIds: ['ala', outsider.id] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(t, { agentIds: ['ala', outsider.slug] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(t, { agentIds: ['ala', gone.id] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(t, { agentIds: ['ala', gone.slug] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(member, { agentIds: ['ala', writer.id] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(member, { agentIds: ['ala', writer.slug] }, 'BAD_REQUEST', ['body.agentIds']);
    // The other org's own default agent is not t's Ala either.
    const otherAla = await getAgent(h, other, 'ala');
    await refusedCreate(t, { agentIds: [otherAla.id] }, 'BAD_REQUEST', ['body.agentIds']);
  });

  it('accepts a title of 255 characters and refuses 256 with 422 on body.title', async () => {
    const s = await createSession(h, t, { title: 'T'.repeat(255), agentIds: ['ala'] });
    expect(s.title).toBe('T'.repeat(255));
    expect((await readSession(t, s.id)).title).toBe('T'.repeat(255));
    await refusedCreate(t, { title: 'T'.repeat(256), agentIds: ['ala'] }, 'VALIDATION_ERROR', ['body.title']);
  });

  it('accepts metadata of exactly 32 KB serialized and refuses 32 KB + 1 byte and 33 KB with 422 on body.metadata', async () => {
    const sized = (bytes: number) => {
      const m = { relationship: 'group', pad: '' };
      m.pad = 'x'.repeat(bytes - Buffer.byteLength(JSON.stringify(m)));
      expect(Buffer.byteLength(JSON.stringify(m))).toBe(bytes);
      return m;
    };
    const s = await createSession(h, t, { agentIds: ['ala'], metadata: sized(KB32) });
    expect((await readSession(t, s.id)).metadata).toEqual(sized(KB32));
    await refusedCreate(t, { agentIds: ['ala'], metadata: sized(KB32 + 1) }, 'VALIDATION_ERROR', ['body.metadata']);
    await refusedCreate(t, { agentIds: ['ala'], metadata: sized(33 * 1024) }, 'VALIDATION_ERROR', ['body.metadata']);
  });

  it('counts multi-byte characters in bytes toward the 32 KB metadata cap', async () => {
    // 11,000 three-byte characters are 11,000 characters but 33,000 bytes.
    await refusedCreate(t, { agentIds: ['ala'], metadata: { note: '€'.repeat(11_000) } }, 'VALIDATION_ERROR', ['body.metadata']);
  });

  it('accepts metadata nested 8 levels deep and refuses 9 with 422 on body.metadata', async () => {
    const deep8 = { relationship: 'peer', ...nested(8) };
    const s = await createSession(h, t, { agentIds: ['ala'], metadata: deep8 });
    expect((await readSession(t, s.id)).metadata).toEqual(deep8);
    await refusedCreate(t, { agentIds: ['ala'], metadata: nested(9) }, 'VALIDATION_ERROR', ['body.metadata']);
    // Arrays are levels too: object, seven arrays, then an object is nine.
    const arrays9 = { a: [[[[[[[{}]]]]]]] };
    await refusedCreate(t, { agentIds: ['ala'], metadata: arrays9 }, 'VALIDATION_ERROR', ['body.metadata']);
  });

  it('accepts relationship direct, group and peer; refuses "friends" with 422 and a number with 400', async () => {
    for (const relationship of ['direct', 'group', 'peer']) {
      const s = await createSession(h, t, { agentIds: ['ala'], metadata: { relationship } });
      expect((await readSession(t, s.id)).metadata).toEqual({ relationship });
    }
    await refusedCreate(t, { agentIds: ['ala'], metadata: { relationship: 'friends' } }, 'VALIDATION_ERROR', ['body.metadata.relationship']);
    // One detail for the type and one for the enum, both on the field.
    await refusedCreate(t, { agentIds: ['ala'], metadata: { relationship: 5 } }, 'BAD_REQUEST', ['body.metadata.relationship', 'body.metadata.relationship']);
  });

  it('refuses metadata that is not an object with 400', async () => {
    await refusedCreate(t, { agentIds: ['ala'], metadata: ['peer'] }, 'BAD_REQUEST', ['body.metadata']);
    await refusedCreate(t, { agentIds: ['ala'], metadata: 'peer' }, 'BAD_REQUEST', ['body.metadata']);
  });

  it.each(['orgId', 'id', 'workspaceId', 'deletedAt', 'userId'])('refuses the unknown body property %s with 400, writing nothing', async (prop) => {
    const value = prop === 'deletedAt' ? new Date().toISOString() : randomUUID();
    await refusedCreate(t, { agentIds: ['ala'], [prop]: value }, 'BAD_REQUEST', [`body.${prop}`]);
  });

  it('places a colleague\'s session in the colleague\'s own current workspace', async () => {
    const c = await h.colleague(t);
    const s = await createSession(h, c, { agentIds: ['ala'] });
    expect(s.workspaceId).toBe(c.workspaceId);
    expect((await sessionRow(s.id)).workspaceId).toBe(c.workspaceId);
    expect(await listedIds(c)).toContain(s.id);
    expect(await listedIds(t)).not.toContain(s.id);
  });

  it('answers 403 FORBIDDEN to a caller with no visible current workspace, writing nothing', async () => {
    const c = await h.colleague(t);
    await h.db.prisma.workspaceAccess.deleteMany({ where: { userId: c.userId, workspaceId: c.workspaceId } });
    await refusedCreate(c, { agentIds: ['ala'] }, 'FORBIDDEN');
    expect(await h.db.prisma.session.count({ where: { userId: c.userId } })).toBe(0);
    // Such a caller still lists the org-wide sessions, and nothing else.
    const orgWide = await createSession(h, t, { agentIds: ['ala'] });
    await h.db.prisma.session.update({ where: { id: orgWide.id }, data: { workspaceId: null } });
    expect(await listedIds(c)).toEqual([orgWide.id]);
  });

  it('answers 403 FORBIDDEN to a key without the sessions:write scope, writing nothing', async () => {
    const key = await h.keyWithScopes(t, ['sessions:read', 'agents:read']);
    await refusedCreate({ ...t, auth: { Authorization: `Bearer ${key}` } }, { agentIds: ['ala'] }, 'FORBIDDEN');
  });
});

describe('GET /api/v1/sessions', () => {
  it('pages with limit and cursor, most recently updated first (ties by id), without duplicates or gaps', async () => {
    const t = await h.tenant();
    const made: Session[] = [];
    for (let i = 0; i < 5; i++) made.push(await createSession(h, t, { title: `s${i}`, agentIds: ['ala'] }));
    const base = Date.parse('2026-01-01T00:00:00.000Z');
    // s2 and s3 share an instant, so the order between them is decided by id, across a page boundary.
    const at = [base + 1_000, base + 2_000, base + 3_000, base + 3_000, base + 5_000];
    for (const [i, s] of made.entries()) await setUpdatedAt(s.id, new Date(at[i]!));
    const expected = made
      .map((s, i) => ({ id: s.id, at: at[i]! }))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
      .map((s) => s.id);

    const pages = await walkPages<Session>(h, t, '/sessions', 2);
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
    const walked = pages.flatMap((p) => ids(p.items));
    expect(walked).toEqual(expected);
    expect(new Set(walked).size).toBe(5);
    expect(pages.flatMap((p) => p.items.map((s) => s.updatedAt))).toEqual(
      [...at].sort((a, b) => b - a).map((ms) => new Date(ms).toISOString()),
    );

    const all = expectSuccess(await h.http.get(`${API}/sessions`).set(t.auth));
    expect(all).toMatchObject({ limit: 100, nextCursor: null, hasMore: false });
    expect(ids(all.items)).toEqual(expected);
  });

  it('refuses limit 0 and 101 and a damaged cursor with 422', async () => {
    const t = await h.tenant();
    expectInvalid(await h.http.get(`${API}/sessions?limit=0`).set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
    expectInvalid(await h.http.get(`${API}/sessions?limit=101`).set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
    expectInvalid(await h.http.get(`${API}/sessions?cursor=bm90LWEtY3Vyc29y`).set(t.auth), 'VALIDATION_ERROR', ['query.cursor']);
  });

  it('lists the current workspace\'s sessions and org-wide ones, never another workspace\'s or another org\'s', async () => {
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
});

describe('GET /api/v1/sessions/:id', () => {
  it('answers 404 for another org\'s session, a deleted one, and one in a workspace a member cannot see', async () => {
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

  it('refuses an id that is not a UUID with 422 on path.id', async () => {
    const t = await h.tenant();
    expectInvalid(await h.http.get(`${API}/sessions/not-a-uuid`).set(t.auth), 'VALIDATION_ERROR', ['path.id']);
    expectInvalid(await h.http.delete(`${API}/sessions/not-a-uuid`).set(t.auth), 'VALIDATION_ERROR', ['path.id']);
    expectInvalid(await h.http.get(`${API}/sessions/not-a-uuid/messages`).set(t.auth), 'VALIDATION_ERROR', ['path.id']);
  });
});

describe('DELETE /api/v1/sessions/:id', () => {
  it('soft-deletes: GET answers 404, the list omits it, the row stays with deletedAt set', async () => {
    const t = await h.tenant();
    const keep = await createSession(h, t, { agentIds: ['ala'] });
    const s = await createSession(h, t, { agentIds: ['ala'] });
    await postMessage(h, t, s.id, { content: 'before delete' });
    await deleteSession(h, t, s.id);

    expectError(await h.http.get(`${API}/sessions/${s.id}`).set(t.auth), 'NOT_FOUND');
    expect(await listedIds(t)).toEqual([keep.id]);
    const row = await sessionRow(s.id);
    expect(row.deletedAt).toBeInstanceOf(Date);
    expect(await messageRows(s.id)).toBe(1);
    expect(await h.db.prisma.sessionParticipant.count({ where: { sessionId: s.id } })).toBe(1);
    expect((await sessionRow(keep.id)).deletedAt).toBeNull();
  });

  it('answers a repeated DELETE with 200 { deleted: true } and changes nothing', async () => {
    const t = await h.tenant();
    const s = await createSession(h, t, { agentIds: ['ala'] });
    await deleteSession(h, t, s.id);
    const first = await sessionRow(s.id);
    await deleteSession(h, t, s.id);
    expect(await sessionRow(s.id)).toEqual(first);
  });

  it('answers 404 for another org\'s session and for one a member cannot see, leaving it live', async () => {
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
});

describe('POST /api/v1/sessions/:id/messages', () => {
  let t: Tenant;
  let writer: Agent;
  let outsider: Agent;
  let s: Session;
  beforeAll(async () => {
    t = await h.tenant();
    writer = await createAgent(h, t, { name: 'Writer' });
    outsider = await createAgent(h, t, { name: 'Bystander' });
    s = await createSession(h, t, { agentIds: ['ala', writer.id] });
  });

  it('without agentId writes the calling user\'s message: userId is the caller, agentId null', async () => {
    const m = await postMessage(h, t, s.id, { content: 'hello from a user' });
    expect(m).toEqual({
      id: expect.stringMatching(UUID),
      sessionId: s.id,
      agentId: null,
      userId: t.userId,
      content: 'hello from a user',
      createdAt: expect.stringMatching(ISO),
    });
    const row = await h.db.prisma.message.findUniqueOrThrow({ where: { id: m.id } });
    expect({ agentId: row.agentId, userId: row.userId, orgId: row.orgId }).toEqual({ agentId: null, userId: t.userId, orgId: t.orgId });
  });

  it('with agentId by slug or by UUID writes the participating agent\'s message, userId null', async () => {
    const bySlug = await postMessage(h, t, s.id, { content: 'by slug', agentId: writer.slug });
    const byId = await postMessage(h, t, s.id, { content: 'by id', agentId: writer.id });
    const byAla = await postMessage(h, t, s.id, { content: 'from ala', agentId: 'ala' });
    expect(bySlug).toMatchObject({ agentId: writer.id, userId: null });
    expect(byId).toMatchObject({ agentId: writer.id, userId: null });
    expect(byAla).toMatchObject({ agentId: (await getAgent(h, t, 'ala')).id, userId: null });
  });

  it('refuses an agent that does not participate, is unknown, deleted or of another org with 400 on body.agentId', async () => {
    const other = await h.tenant();
    const foreign = await createAgent(h, other, { name: 'Foreign' });
    const leaving = await createAgent(h, t, { name: 'Leaving' });
    const withLeaving = await createSession(h, t, { agentIds: ['ala', leaving.id] });
    await deleteAgent(h, t, leaving.id);

    await refusedPost(t, s.id, { content: 'x', agentId: outsider.slug }, 'BAD_REQUEST', ['body.agentId']);
    await refusedPost(t, s.id, { content: 'x', agentId: outsider.id }, 'BAD_REQUEST', ['body.agentId']);
    await refusedPost(t, s.id, { content: 'x', agentId: 'nobody-here' }, 'BAD_REQUEST', ['body.agentId']);
    await refusedPost(t, s.id, { content: 'x', agentId: foreign.id }, 'BAD_REQUEST', ['body.agentId']);
    await refusedPost(t, withLeaving.id, { content: 'x', agentId: leaving.id }, 'BAD_REQUEST', ['body.agentId']);
  });

  it('accepts exactly 100,000 characters of a 3-byte character (300,000 bytes, under the route\'s 512 KB cap)', async () => {
    const content = '€'.repeat(100_000);
    const m = await postMessage(h, t, s.id, { content });
    expect(m.content).toBe(content);
    expect((await h.db.prisma.message.findUniqueOrThrow({ where: { id: m.id } })).content).toBe(content);
  });

  it('accepts exactly 100,000 characters of a 4-byte character (400,000 bytes) and counts them as characters', async () => {
    const content = '😀'.repeat(100_000);
    const m = await postMessage(h, t, s.id, { content });
    expect(m.content).toBe(content);
    await refusedPost(t, s.id, { content: '😀'.repeat(100_001) }, 'VALIDATION_ERROR', ['body.content']);
  });

  it('refuses empty content and 100,001 characters with 422 on body.content, and a missing content with 400', async () => {
    await refusedPost(t, s.id, { content: '' }, 'VALIDATION_ERROR', ['body.content']);
    await refusedPost(t, s.id, { content: 'a'.repeat(100_001) }, 'VALIDATION_ERROR', ['body.content']);
    await refusedPost(t, s.id, { content: '€'.repeat(100_001) }, 'VALIDATION_ERROR', ['body.content']);
    await refusedPost(t, s.id, { agentId: 'ala' }, 'BAD_REQUEST', ['body.content']);
    await refusedPost(t, s.id, { content: 'x', userId: t.userId }, 'BAD_REQUEST', ['body.userId']);
  });

  it('answers 403 FORBIDDEN when an inactive agent posts, and lets it post again once reactivated', async () => {
    const sleeper = await createAgent(h, t, { name: 'Sleeper' });
    const session = await createSession(h, t, { agentIds: ['ala', sleeper.slug] });
    expectSuccess(await h.http.patch(`${API}/agents/${sleeper.id}`).set(t.auth).send({ isActive: false }));
    await refusedPost(t, session.id, { content: 'zzz', agentId: sleeper.slug }, 'FORBIDDEN');
    expectSuccess(await h.http.patch(`${API}/agents/${sleeper.id}`).set(t.auth).send({ isActive: true }));
    expect(await postMessage(h, t, session.id, { content: 'awake', agentId: sleeper.slug })).toMatchObject({ agentId: sleeper.id });
  });

  describe('in a peer session an agent may post only when every other participant is in its allowedPeers', () => {
    let org: Tenant;
    let a: Agent; // no peers
    let b: Agent; // may message a
    let c: Agent; // may message a and b
    beforeAll(async () => {
      org = await h.tenant();
      a = await createAgent(h, org, { name: 'Alpha' });
      b = await createAgent(h, org, { name: 'Bravo', allowedPeers: [a.slug] });
      c = await createAgent(h, org, { name: 'Charlie', allowedPeers: [a.slug, b.slug] });
    });

    it('lets an agent post when the other participant is in its allowedPeers, and refuses the reverse with 403', async () => {
      const peer = await createSession(h, org, { agentIds: [a.id, b.id], metadata: { relationship: 'peer' } });
      expect(await postMessage(h, org, peer.id, { content: 'hi alpha', agentId: b.slug })).toMatchObject({ agentId: b.id });
      await refusedPost(org, peer.id, { content: 'hi bravo', agentId: a.slug }, 'FORBIDDEN');
    });

    it('refuses with 403 an agent that has some but not all of the others in its allowedPeers', async () => {
      const trio = await createSession(h, org, { agentIds: [a.id, b.id, c.id], metadata: { relationship: 'peer' } });
      expect(await postMessage(h, org, trio.id, { content: 'hi both', agentId: c.id })).toMatchObject({ agentId: c.id });
      await refusedPost(org, trio.id, { content: 'hi', agentId: b.id }, 'FORBIDDEN');
      await refusedPost(org, trio.id, { content: 'hi', agentId: a.id }, 'FORBIDDEN');
    });

    it('counts the default agent like any other: a peer session with ala needs ala in allowedPeers', async () => {
      const withAla = await createSession(h, org, { agentIds: ['ala', b.id], metadata: { relationship: 'peer' } });
      await refusedPost(org, withAla.id, { content: 'hi ala', agentId: b.id }, 'FORBIDDEN');
      await refusedPost(org, withAla.id, { content: 'hi bravo', agentId: 'ala' }, 'FORBIDDEN');
      const friendly = await createAgent(h, org, { name: 'Friendly', allowedPeers: ['ala'] });
      const ok = await createSession(h, org, { agentIds: ['ala', friendly.id], metadata: { relationship: 'peer' } });
      expect(await postMessage(h, org, ok.id, { content: 'hi ala', agentId: friendly.slug })).toMatchObject({ agentId: friendly.id });
    });

    it('no longer counts a deleted participant: it does not bar the others from posting', async () => {
      const doomed = await createAgent(h, org, { name: 'Doomed' });
      const peer = await createSession(h, org, { agentIds: [a.id, b.id, doomed.id], metadata: { relationship: 'peer' } });
      await refusedPost(org, peer.id, { content: 'hi', agentId: b.id }, 'FORBIDDEN');
      await deleteAgent(h, org, doomed.id);
      expect(await postMessage(h, org, peer.id, { content: 'hi alpha', agentId: b.id })).toMatchObject({ agentId: b.id });
      await refusedPost(org, peer.id, { content: 'hi', agentId: doomed.id }, 'BAD_REQUEST', ['body.agentId']);
    });

    it('lets an agent post alone in a peer session (there is no one else to allow)', async () => {
      const solo = await createSession(h, org, { agentIds: [a.id], metadata: { relationship: 'peer' } });
      expect(await postMessage(h, org, solo.id, { content: 'thinking aloud', agentId: a.slug })).toMatchObject({ agentId: a.id });
    });

    it('does not apply to the user: a user may post in a peer session', async () => {
      const peer = await createSession(h, org, { agentIds: [a.id, b.id], metadata: { relationship: 'peer' } });
      expect(await postMessage(h, org, peer.id, { content: 'from the user' })).toMatchObject({ userId: org.userId, agentId: null });
    });

    it.each([{ relationship: 'group' }, { relationship: 'direct' }, {}])('does not apply in a session with metadata %j', async (metadata) => {
      const session = await createSession(h, org, { agentIds: [a.id, b.id, c.id], metadata });
      for (const agent of [a, b, c]) {
        expect(await postMessage(h, org, session.id, { content: `from ${agent.slug}`, agentId: agent.slug })).toMatchObject({ agentId: agent.id });
      }
    });
  });

  it('moves the session\'s updatedAt strictly forward, even past an updatedAt in the future, and leaves createdAt', async () => {
    const session = await createSession(h, t, { agentIds: ['ala'] });
    const future = new Date(Date.now() + 3_600_000);
    await setUpdatedAt(session.id, future);
    await postMessage(h, t, session.id, { content: 'bump' });
    const after = await readSession(t, session.id);
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(future.getTime());
    expect(after.createdAt).toBe(session.createdAt);

    await postMessage(h, t, session.id, { content: 'bump again' });
    expect(Date.parse((await readSession(t, session.id)).updatedAt)).toBeGreaterThan(Date.parse(after.updatedAt));
  });

  it('moves the session to the top of GET /sessions', async () => {
    const org = await h.tenant();
    const older = await createSession(h, org, { title: 'older', agentIds: ['ala'] });
    const newer = await createSession(h, org, { title: 'newer', agentIds: ['ala'] });
    await setUpdatedAt(older.id, new Date(Date.now() - 7_200_000));
    await setUpdatedAt(newer.id, new Date(Date.now() - 3_600_000));
    expect(await listedIds(org)).toEqual([newer.id, older.id]);
    await postMessage(h, org, older.id, { content: 'wake up', agentId: 'ala' });
    expect(await listedIds(org)).toEqual([older.id, newer.id]);
  });

  it('answers 404 for a deleted session, another org\'s session and one a member cannot see', async () => {
    const org = await h.tenant();
    const member = await h.colleague(org);
    const other = await h.tenant();
    const gone = await createSession(h, org, { agentIds: ['ala'] });
    await deleteSession(h, org, gone.id);
    const live = await createSession(h, org, { agentIds: ['ala'] });

    await refusedPost(org, gone.id, { content: 'anyone?' }, 'NOT_FOUND');
    await refusedPost(other, live.id, { content: 'intruder' }, 'NOT_FOUND');
    await refusedPost(member, live.id, { content: 'intruder' }, 'NOT_FOUND');
    expectError(await h.http.post(`${API}/sessions/${randomUUID()}/messages`).set(org.auth).send({ content: 'x' }), 'NOT_FOUND');
  });
});

describe('GET /api/v1/sessions/:id/messages', () => {
  it('lists the session\'s messages oldest first, paged with limit and cursor, without duplicates or gaps', async () => {
    const t = await h.tenant();
    const writer = await createAgent(h, t, { name: 'Writer' });
    const s = await createSession(h, t, { agentIds: ['ala', writer.id] });
    const elsewhere = await createSession(h, t, { agentIds: ['ala'] });
    await postMessage(h, t, elsewhere.id, { content: 'not in this session' });
    const posted: Message[] = [];
    for (let i = 0; i < 5; i++) {
      posted.push(await postMessage(h, t, s.id, i % 2 ? { content: `m${i}`, agentId: writer.slug } : { content: `m${i}` }));
    }

    const pages = await walkPages<Message>(h, t, `/sessions/${s.id}/messages`, 2);
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
    const walked = pages.flatMap((p) => p.items);
    expect(walked).toEqual(posted);
    expect(walked.map((m) => m.content)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    const times = walked.map((m) => Date.parse(m.createdAt));
    expect(times).toEqual([...times].sort((x, y) => x - y));

    const all = expectSuccess(await h.http.get(`${API}/sessions/${s.id}/messages`).set(t.auth));
    expect(all).toEqual({ items: posted, limit: 100, nextCursor: null, hasMore: false });
  });

  it('answers 404 for a deleted session, another org\'s session and one a member cannot see', async () => {
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

  it('refuses limit 0 and 101 with 422 on query.limit', async () => {
    const t = await h.tenant();
    const s = await createSession(h, t, { agentIds: ['ala'] });
    expectInvalid(await h.http.get(`${API}/sessions/${s.id}/messages?limit=0`).set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
    expectInvalid(await h.http.get(`${API}/sessions/${s.id}/messages?limit=101`).set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
  });
});
