import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, Session } from '../generated/sdk/types.gen.js';
import { expectError, expectInvalid, expectSuccess, ISO, UUID } from './helpers/envelope.js';
import { API, createAgent, createSession, deleteAgent, deleteSession, getAgent, postMessage } from './helpers/fixtures.js';
import { ids, sorted, walkPages } from './helpers/lists.js';
import { refusedCreate } from './helpers/refusals.js';
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

const messageRows = (sessionId: string) => h.db.prisma.message.count({ where: { sessionId } });
const sessionRow = (id: string) => h.db.prisma.session.findUniqueOrThrow({ where: { id } });

/** The session as GET /sessions/:id answers it. */
const readSession = async (t: Tenant, id: string) => expectSuccess<Session>(await h.http.get(`${API}/sessions/${id}`).set(t.auth));
/** The ids of the first page (up to 100) of GET /sessions. */
const listedIds = async (t: Tenant) => ids(expectSuccess<{ items: Session[] }>(await h.http.get(`${API}/sessions`).set(t.auth)).items);

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

  it("creates a session with agents named by UUID and by slug, in the caller's current workspace", async () => {
    const s = await createSession(h, t, {
      title: 'Weekly sync',
      agentIds: [writer.id, 'ala'],
      metadata: { relationship: 'group', topic: 'x' },
    });
    expect(s).toEqual({
      id: expect.stringMatching(UUID),
      orgId: t.orgId,
      workspaceId: t.workspaceId,
      projectId: null,
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
    await refusedCreate(h, org, { agentIds: [...twenty, 'one-more'] }, 'VALIDATION_ERROR', ['body.agentIds']);
    await refusedCreate(h, org, { agentIds: [] }, 'VALIDATION_ERROR', ['body.agentIds']);
  });

  it('refuses a missing agentIds with 400', async () => {
    await refusedCreate(h, t, { title: 'no agents' }, 'BAD_REQUEST', ['body.agentIds']);
  });

  it('refuses the same string twice with 422 (uniqueItems), writing nothing', async () => {
    await refusedCreate(h, t, { agentIds: ['ala', 'ala'] }, 'VALIDATION_ERROR', ['body.agentIds']);
    await refusedCreate(h, t, { agentIds: [writer.id, 'ala', writer.id] }, 'VALIDATION_ERROR', ['body.agentIds']);
  });

  it('refuses an unknown, deleted, other-org or invisible agent with 400 on body.agentIds, writing nothing', async () => {
    const other = await h.tenant();
    const outsider = await createAgent(h, other, { name: 'Outsider' });
    const gone = await createAgent(h, t, { name: 'Gone Agent' });
    await deleteAgent(h, t, gone.id);
    // A member in another workspace of the same org cannot see agents of t's workspace.
    const member = await h.colleague(t);

    await refusedCreate(h, t, { agentIds: ['ala', 'nobody-here'] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(h, t, { agentIds: ['ala', randomUUID()] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(h, t, { agentIds: ['ala', outsider.id] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(h, t, { agentIds: ['ala', outsider.slug] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(h, t, { agentIds: ['ala', gone.id] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(h, t, { agentIds: ['ala', gone.slug] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(h, member, { agentIds: ['ala', writer.id] }, 'BAD_REQUEST', ['body.agentIds']);
    await refusedCreate(h, member, { agentIds: ['ala', writer.slug] }, 'BAD_REQUEST', ['body.agentIds']);
    // The other org's own default agent is not t's Ala either.
    const otherAla = await getAgent(h, other, 'ala');
    await refusedCreate(h, t, { agentIds: [otherAla.id] }, 'BAD_REQUEST', ['body.agentIds']);
  });

  it('accepts a title of 255 characters and refuses 256 with 422 on body.title', async () => {
    const s = await createSession(h, t, { title: 'T'.repeat(255), agentIds: ['ala'] });
    expect(s.title).toBe('T'.repeat(255));
    expect((await readSession(t, s.id)).title).toBe('T'.repeat(255));
    await refusedCreate(h, t, { title: 'T'.repeat(256), agentIds: ['ala'] }, 'VALIDATION_ERROR', ['body.title']);
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
    await refusedCreate(h, t, { agentIds: ['ala'], metadata: sized(KB32 + 1) }, 'VALIDATION_ERROR', ['body.metadata']);
    await refusedCreate(h, t, { agentIds: ['ala'], metadata: sized(33 * 1024) }, 'VALIDATION_ERROR', ['body.metadata']);
  });

  it('counts multi-byte characters in bytes toward the 32 KB metadata cap', async () => {
    // 11,000 three-byte characters are 11,000 characters but 33,000 bytes.
    await refusedCreate(h, t, { agentIds: ['ala'], metadata: { note: '€'.repeat(11_000) } }, 'VALIDATION_ERROR', ['body.metadata']);
  });

  it('accepts metadata nested 8 levels deep and refuses 9 with 422 on body.metadata', async () => {
    const deep8 = { relationship: 'peer', ...nested(8) };
    const s = await createSession(h, t, { agentIds: ['ala'], metadata: deep8 });
    expect((await readSession(t, s.id)).metadata).toEqual(deep8);
    await refusedCreate(h, t, { agentIds: ['ala'], metadata: nested(9) }, 'VALIDATION_ERROR', ['body.metadata']);
    // Arrays are levels too: object, seven arrays, then an object is nine.
    const arrays9 = { a: [[[[[[[{}]]]]]]] };
    await refusedCreate(h, t, { agentIds: ['ala'], metadata: arrays9 }, 'VALIDATION_ERROR', ['body.metadata']);
  });

  it('accepts relationship direct, group and peer; refuses "friends" with 422 and a number with 400', async () => {
    for (const relationship of ['direct', 'group', 'peer']) {
      const s = await createSession(h, t, { agentIds: ['ala'], metadata: { relationship } });
      expect((await readSession(t, s.id)).metadata).toEqual({ relationship });
    }
    await refusedCreate(h, t, { agentIds: ['ala'], metadata: { relationship: 'friends' } }, 'VALIDATION_ERROR', [
      'body.metadata.relationship',
    ]);
    // One detail for the type and one for the enum, both on the field.
    await refusedCreate(h, t, { agentIds: ['ala'], metadata: { relationship: 5 } }, 'BAD_REQUEST', [
      'body.metadata.relationship',
      'body.metadata.relationship',
    ]);
  });

  it('refuses metadata that is not an object with 400', async () => {
    await refusedCreate(h, t, { agentIds: ['ala'], metadata: ['peer'] }, 'BAD_REQUEST', ['body.metadata']);
    await refusedCreate(h, t, { agentIds: ['ala'], metadata: 'peer' }, 'BAD_REQUEST', ['body.metadata']);
  });

  it.each(['orgId', 'id', 'workspaceId', 'deletedAt', 'userId'])(
    'refuses the unknown body property %s with 400, writing nothing',
    async (prop) => {
      const value = prop === 'deletedAt' ? new Date().toISOString() : randomUUID();
      await refusedCreate(h, t, { agentIds: ['ala'], [prop]: value }, 'BAD_REQUEST', [`body.${prop}`]);
    },
  );

  it("places a colleague's session in the colleague's own current workspace", async () => {
    const c = await h.colleague(t);
    const s = await createSession(h, c, { agentIds: ['ala'] });
    expect(s.workspaceId).toBe(c.workspaceId);
    expect((await sessionRow(s.id)).workspaceId).toBe(c.workspaceId);
    expect(await listedIds(c)).toContain(s.id);
    expect(await listedIds(t)).not.toContain(s.id);
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
});

describe('GET /api/v1/sessions/:id', () => {
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
});
