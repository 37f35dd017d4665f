import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, Message, Session } from '../generated/sdk/types.gen.js';
import { expectInvalid, expectSuccess, ISO, UUID } from './helpers/envelope.js';
import { API, createAgent, createSession, deleteAgent, getAgent, postMessage } from './helpers/fixtures.js';
import { ids, walkPages } from './helpers/lists.js';
import { refusedPost } from './helpers/refusals.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** The session as GET /sessions/:id answers it. */
const readSession = async (t: Tenant, id: string) => expectSuccess<Session>(await h.http.get(`${API}/sessions/${id}`).set(t.auth));
/** The ids of the first page (up to 100) of GET /sessions. */
const listedIds = async (t: Tenant) => ids(expectSuccess<{ items: Session[] }>(await h.http.get(`${API}/sessions`).set(t.auth)).items);

/** Moves a session's updatedAt to a fixed instant, so orderings do not depend on the clock. */
const setUpdatedAt = (id: string, at: Date) => h.db.prisma.session.update({ where: { id }, data: { updatedAt: at } });

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

  it("without agentId writes the calling user's message: userId is the caller, agentId null", async () => {
    const m = await postMessage(h, t, s.id, { content: 'hello from a user' });
    expect(m).toEqual({
      id: expect.stringMatching(UUID),
      sessionId: s.id,
      agentId: null,
      userId: t.userId,
      role: 'user',
      status: 'complete',
      content: 'hello from a user',
      model: null,
      usage: null,
      replyTo: null,
      createdAt: expect.stringMatching(ISO),
    });
    const row = await h.db.prisma.message.findUniqueOrThrow({ where: { id: m.id } });
    expect({ agentId: row.agentId, userId: row.userId, orgId: row.orgId }).toEqual({ agentId: null, userId: t.userId, orgId: t.orgId });
  });

  it("with agentId by slug or by UUID writes the participating agent's message, userId null", async () => {
    const bySlug = await postMessage(h, t, s.id, { content: 'by slug', agentId: writer.slug });
    const byId = await postMessage(h, t, s.id, { content: 'by id', agentId: writer.id });
    const byAla = await postMessage(h, t, s.id, { content: 'from ala', agentId: 'ala' });
    expect(bySlug).toMatchObject({
      agentId: writer.id,
      userId: null,
      role: 'agent',
      status: 'complete',
      model: null,
      usage: null,
      replyTo: null,
    });
    expect(byId).toMatchObject({ agentId: writer.id, userId: null });
    expect(byAla).toMatchObject({ agentId: (await getAgent(h, t, 'ala')).id, userId: null });
  });

  it('refuses an agent that does not participate, is unknown, deleted or of another org with 400 on body.agentId', async () => {
    const other = await h.tenant();
    const foreign = await createAgent(h, other, { name: 'Foreign' });
    const leaving = await createAgent(h, t, { name: 'Leaving' });
    const withLeaving = await createSession(h, t, { agentIds: ['ala', leaving.id] });
    await deleteAgent(h, t, leaving.id);

    await refusedPost(h, t, s.id, { content: 'x', agentId: outsider.slug }, 'BAD_REQUEST', ['body.agentId']);
    await refusedPost(h, t, s.id, { content: 'x', agentId: outsider.id }, 'BAD_REQUEST', ['body.agentId']);
    await refusedPost(h, t, s.id, { content: 'x', agentId: 'nobody-here' }, 'BAD_REQUEST', ['body.agentId']);
    await refusedPost(h, t, s.id, { content: 'x', agentId: foreign.id }, 'BAD_REQUEST', ['body.agentId']);
    await refusedPost(h, t, withLeaving.id, { content: 'x', agentId: leaving.id }, 'BAD_REQUEST', ['body.agentId']);
  });

  it("accepts exactly 100,000 characters of a 3-byte character (300,000 bytes, under the route's 512 KB cap)", async () => {
    const content = '€'.repeat(100_000);
    const m = await postMessage(h, t, s.id, { content });
    expect(m.content).toBe(content);
    expect((await h.db.prisma.message.findUniqueOrThrow({ where: { id: m.id } })).content).toBe(content);
  });

  it('accepts exactly 100,000 characters of a 4-byte character (400,000 bytes) and counts them as characters', async () => {
    const content = '😀'.repeat(100_000);
    const m = await postMessage(h, t, s.id, { content });
    expect(m.content).toBe(content);
    await refusedPost(h, t, s.id, { content: '😀'.repeat(100_001) }, 'VALIDATION_ERROR', ['body.content']);
  });

  it('refuses empty content and 100,001 characters with 422 on body.content, and a missing content with 400', async () => {
    await refusedPost(h, t, s.id, { content: '' }, 'VALIDATION_ERROR', ['body.content']);
    await refusedPost(h, t, s.id, { content: 'a'.repeat(100_001) }, 'VALIDATION_ERROR', ['body.content']);
    await refusedPost(h, t, s.id, { content: '€'.repeat(100_001) }, 'VALIDATION_ERROR', ['body.content']);
    await refusedPost(h, t, s.id, { agentId: 'ala' }, 'BAD_REQUEST', ['body.content']);
    await refusedPost(h, t, s.id, { content: 'x', userId: t.userId }, 'BAD_REQUEST', ['body.userId']);
  });

  it('answers 403 FORBIDDEN when an inactive agent posts, and lets it post again once reactivated', async () => {
    const sleeper = await createAgent(h, t, { name: 'Sleeper' });
    const session = await createSession(h, t, { agentIds: ['ala', sleeper.slug] });
    expectSuccess(await h.http.patch(`${API}/agents/${sleeper.id}`).set(t.auth).send({ isActive: false }));
    await refusedPost(h, t, session.id, { content: 'zzz', agentId: sleeper.slug }, 'FORBIDDEN');
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
      await refusedPost(h, org, peer.id, { content: 'hi bravo', agentId: a.slug }, 'FORBIDDEN');
    });

    it('refuses with 403 an agent that has some but not all of the others in its allowedPeers', async () => {
      const trio = await createSession(h, org, { agentIds: [a.id, b.id, c.id], metadata: { relationship: 'peer' } });
      expect(await postMessage(h, org, trio.id, { content: 'hi both', agentId: c.id })).toMatchObject({ agentId: c.id });
      await refusedPost(h, org, trio.id, { content: 'hi', agentId: b.id }, 'FORBIDDEN');
      await refusedPost(h, org, trio.id, { content: 'hi', agentId: a.id }, 'FORBIDDEN');
    });

    it('counts the default agent like any other: a peer session with ala needs ala in allowedPeers', async () => {
      const withAla = await createSession(h, org, { agentIds: ['ala', b.id], metadata: { relationship: 'peer' } });
      await refusedPost(h, org, withAla.id, { content: 'hi ala', agentId: b.id }, 'FORBIDDEN');
      await refusedPost(h, org, withAla.id, { content: 'hi bravo', agentId: 'ala' }, 'FORBIDDEN');
      const friendly = await createAgent(h, org, { name: 'Friendly', allowedPeers: ['ala'] });
      const ok = await createSession(h, org, { agentIds: ['ala', friendly.id], metadata: { relationship: 'peer' } });
      expect(await postMessage(h, org, ok.id, { content: 'hi ala', agentId: friendly.slug })).toMatchObject({ agentId: friendly.id });
    });

    it('no longer counts a deleted participant: it does not bar the others from posting', async () => {
      const doomed = await createAgent(h, org, { name: 'Doomed' });
      const peer = await createSession(h, org, { agentIds: [a.id, b.id, doomed.id], metadata: { relationship: 'peer' } });
      await refusedPost(h, org, peer.id, { content: 'hi', agentId: b.id }, 'FORBIDDEN');
      await deleteAgent(h, org, doomed.id);
      expect(await postMessage(h, org, peer.id, { content: 'hi alpha', agentId: b.id })).toMatchObject({ agentId: b.id });
      await refusedPost(h, org, peer.id, { content: 'hi', agentId: doomed.id }, 'BAD_REQUEST', ['body.agentId']);
    });

    it('lets an agent post alone in a peer session (there is no one else to allow)', async () => {
      const solo = await createSession(h, org, { agentIds: [a.id], metadata: { relationship: 'peer' } });
      expect(await postMessage(h, org, solo.id, { content: 'thinking aloud', agentId: a.slug })).toMatchObject({ agentId: a.id });
    });

    it('does not apply to the user: a user may post in a peer session', async () => {
      const peer = await createSession(h, org, { agentIds: [a.id, b.id], metadata: { relationship: 'peer' } });
      expect(await postMessage(h, org, peer.id, { content: 'from the user' })).toMatchObject({ userId: org.userId, agentId: null });
    });

    it.each([{ relationship: 'group' }, { relationship: 'direct' }, {}])(
      'does not apply in a session with metadata %j',
      async (metadata) => {
        const session = await createSession(h, org, { agentIds: [a.id, b.id, c.id], metadata });
        for (const agent of [a, b, c]) {
          expect(await postMessage(h, org, session.id, { content: `from ${agent.slug}`, agentId: agent.slug })).toMatchObject({
            agentId: agent.id,
          });
        }
      },
    );
  });

  it("moves the session's updatedAt strictly forward, even past an updatedAt in the future, and leaves createdAt", async () => {
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
});

describe('GET /api/v1/sessions/:id/messages', () => {
  it("lists the session's messages oldest first, paged with limit and cursor, without duplicates or gaps", async () => {
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

  it('refuses limit 0 and 101 with 422 on query.limit', async () => {
    const t = await h.tenant();
    const s = await createSession(h, t, { agentIds: ['ala'] });
    expectInvalid(await h.http.get(`${API}/sessions/${s.id}/messages?limit=0`).set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
    expectInvalid(await h.http.get(`${API}/sessions/${s.id}/messages?limit=101`).set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
  });
});
