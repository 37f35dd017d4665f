import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, Message, PeerMessage, Session } from '../generated/sdk/types.gen.js';
import { expectError, expectInvalid, expectSuccess } from './helpers/envelope.js';
import { API, createAgent, createSession, deleteAgent, deleteSession, getAgent, peerMessages, postMessage } from './helpers/fixtures.js';
import { ids, sorted, walkPages } from './helpers/lists.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(BASE + seconds * 1000);

/** Pins timestamps so orderings do not depend on how fast the requests ran. */
const setSessionUpdatedAt = (id: string, when: Date) => h.db.prisma.session.update({ where: { id }, data: { updatedAt: when } });
const setMessageCreatedAt = (id: string, when: Date) => h.db.prisma.message.update({ where: { id }, data: { createdAt: when } });

const agentSessionIds = async (t: Tenant, ref: string) =>
  ids(expectSuccess<{ items: Session[] }>(await h.http.get(`${API}/agents/${ref}/sessions`).set(t.auth)).items);

describe('GET /api/v1/agents/:id/sessions', () => {
  let t: Tenant;
  let a: Agent;
  let expected: string[];
  beforeAll(async () => {
    t = await h.tenant();
    a = await createAgent(h, t, { name: 'Analyst' });
    const other = await createAgent(h, t, { name: 'Other' });
    const s1 = await createSession(h, t, { title: 's1', agentIds: [a.id] });
    const s2 = await createSession(h, t, { title: 's2', agentIds: [a.id, 'ala'] });
    const s3 = await createSession(h, t, { title: 's3', agentIds: [other.id, 'ala'] });
    const s4 = await createSession(h, t, { title: 's4', agentIds: [a.slug, other.slug], metadata: { relationship: 'group' } });
    const gone = await createSession(h, t, { title: 'gone', agentIds: [a.id] });
    await deleteSession(h, t, gone.id);
    // Updated order, newest first: gone (deleted), s2, s3 (not a's), s4, s1.
    for (const [s, sec] of [
      [s1, 1],
      [s4, 2],
      [s3, 3],
      [s2, 4],
      [gone, 5],
    ] as const)
      await setSessionUpdatedAt(s.id, at(sec));
    expected = [s2.id, s4.id, s1.id];
  });

  it('lists only the live sessions the agent participates in, most recently updated first', async () => {
    expect(await agentSessionIds(t, a.id)).toEqual(expected);
    const page = expectSuccess(await h.http.get(`${API}/agents/${a.id}/sessions`).set(t.auth));
    expect(page).toMatchObject({ limit: 100, nextCursor: null, hasMore: false });
    for (const s of page.items as Session[]) expect(s.agentIds).toContain(a.id);
  });

  it('answers the same by slug as by UUID', async () => {
    expect(await agentSessionIds(t, a.slug)).toEqual(expected);
    expect(await agentSessionIds(t, a.id.toUpperCase())).toEqual(expected);
  });

  it('pages with limit and cursor without duplicates or gaps', async () => {
    const pages = await walkPages<Session>(h, t, `/agents/${a.slug}/sessions`, 1);
    expect(pages.map((p) => p.items.length)).toEqual([1, 1, 1]);
    expect(pages.flatMap((p) => ids(p.items))).toEqual(expected);
    const two = await walkPages<Session>(h, t, `/agents/${a.id}/sessions`, 2);
    expect(two.flatMap((p) => ids(p.items))).toEqual(expected);
  });

  it('refuses limit 0 and 101 with 422 on query.limit', async () => {
    expectInvalid(await h.http.get(`${API}/agents/${a.id}/sessions?limit=0`).set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
    expectInvalid(await h.http.get(`${API}/agents/${a.id}/sessions?limit=101`).set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
  });

  it('answers 404 for a deleted agent, by UUID and by slug', async () => {
    const doomed = await createAgent(h, t, { name: 'Doomed' });
    await createSession(h, t, { agentIds: [doomed.id] });
    expect(await agentSessionIds(t, doomed.slug)).toHaveLength(1);
    await deleteAgent(h, t, doomed.id);
    expectError(await h.http.get(`${API}/agents/${doomed.id}/sessions`).set(t.auth), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/agents/${doomed.slug}/sessions`).set(t.auth), 'NOT_FOUND');
  });

  it("answers 404 for another org's agent and for one in a workspace a member cannot see", async () => {
    const other = await h.tenant();
    const member = await h.colleague(t);
    expectError(await h.http.get(`${API}/agents/${a.id}/sessions`).set(other.auth), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/agents/${a.id}/sessions`).set(member.auth), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/agents/${a.slug}/sessions`).set(member.auth), 'NOT_FOUND');
  });

  it('shows a member only the sessions of an org-wide agent that sit in workspaces the member can see', async () => {
    const org = await h.tenant();
    const member = await h.colleague(org);
    const ownerSession = await createSession(h, org, { agentIds: ['ala'] });
    const memberSession = await createSession(h, member, { agentIds: ['ala'] });
    expect(await agentSessionIds(member, 'ala')).toEqual([memberSession.id]);
    // Owners see every workspace of their org.
    expect(sorted(await agentSessionIds(org, 'ala'))).toEqual(sorted([ownerSession.id, memberSession.id]));
    // Another org's Ala is another agent with its own sessions.
    expect(await agentSessionIds(await h.tenant(), 'ala')).toEqual([]);
  });
});

describe('GET /api/v1/agents/:id/messages', () => {
  let t: Tenant;
  let a: Agent; // no peers
  let b: Agent; // may message a
  let c: Agent; // may message a and b
  let e: Agent; // may message a
  const m: Record<string, Message> = {};
  beforeAll(async () => {
    t = await h.tenant();
    a = await createAgent(h, t, { name: 'Alpha', avatar: 'owl' });
    b = await createAgent(h, t, { name: 'Bravo', avatar: 'fox', allowedPeers: [a.slug] });
    c = await createAgent(h, t, { name: 'Charlie', avatar: 'cat', allowedPeers: [a.slug, b.slug] });
    e = await createAgent(h, t, { name: 'Echo', allowedPeers: [a.slug] });

    const ab = await createSession(h, t, { agentIds: [a.id, b.id], metadata: { relationship: 'peer' } });
    const bc = await createSession(h, t, { agentIds: [b.id, c.id], metadata: { relationship: 'peer', topic: 'x' } });
    const group = await createSession(h, t, { agentIds: [b.id, c.id], metadata: { relationship: 'group' } });
    const untagged = await createSession(h, t, { agentIds: [b.id, c.id] });
    const ae = await createSession(h, t, { agentIds: [a.id, e.id], metadata: { relationship: 'peer' } });
    const doomed = await createSession(h, t, { agentIds: [b.id, c.id], metadata: { relationship: 'peer' } });

    m.b1 = await postMessage(h, t, ab.id, { content: 'b1', agentId: b.slug });
    m.user = await postMessage(h, t, ab.id, { content: 'from the user' });
    m.c1 = await postMessage(h, t, bc.id, { content: 'c1', agentId: c.slug });
    m.b2 = await postMessage(h, t, ab.id, { content: 'b2', agentId: b.id });
    m.groupB = await postMessage(h, t, group.id, { content: 'group b', agentId: b.slug });
    m.groupC = await postMessage(h, t, group.id, { content: 'group c', agentId: c.slug });
    m.untagged = await postMessage(h, t, untagged.id, { content: 'untagged', agentId: b.slug });
    m.e1 = await postMessage(h, t, ae.id, { content: 'e1', agentId: e.slug });
    m.doomed = await postMessage(h, t, doomed.id, { content: 'doomed', agentId: c.slug });
    await deleteSession(h, t, doomed.id);
    // Newest first is by createdAt, not by insertion: b1 is made the newest of them all.
    const order = ['c1', 'b2', 'user', 'groupB', 'groupC', 'untagged', 'e1', 'doomed', 'b1'];
    for (const [i, key] of order.entries()) await setMessageCreatedAt(m[key]!.id, at(100 + i));
  });

  const expectedItem = (key: string, author: Agent, isSelf: boolean): PeerMessage => ({
    id: m[key]!.id,
    sessionId: m[key]!.sessionId,
    agentId: author.id,
    userId: null,
    role: 'agent',
    status: 'complete',
    content: m[key]!.content,
    model: null,
    usage: null,
    replyTo: null,
    createdAt: at(100 + ['c1', 'b2', 'user', 'groupB', 'groupC', 'untagged', 'e1', 'doomed', 'b1'].indexOf(key)).toISOString(),
    fromAgentName: author.name,
    fromAgentAvatar: author.avatar,
    isSelf,
  });

  it('returns agent-written messages of the live peer sessions the agent is in, newest first, with author fields and isSelf', async () => {
    expect(await peerMessages(h, t, b.slug)).toEqual([
      expectedItem('b1', b, true),
      expectedItem('b2', b, true),
      expectedItem('c1', c, false),
    ]);
  });

  it("marks isSelf only on the path agent's own messages, and answers the same by UUID", async () => {
    expect(await peerMessages(h, t, c.id)).toEqual([expectedItem('c1', c, true)]);
    expect(await peerMessages(h, t, a.id)).toEqual([
      expectedItem('b1', b, false),
      expectedItem('e1', e, false),
      expectedItem('b2', b, false),
    ]);
    expect(await peerMessages(h, t, e.slug)).toEqual([expectedItem('e1', e, true)]);
  });

  it("never returns user messages, non-peer or untagged sessions' messages, other sessions' or deleted sessions' messages", async () => {
    const all = [...(await peerMessages(h, t, a.id)), ...(await peerMessages(h, t, b.id)), ...(await peerMessages(h, t, c.id))];
    const seen = new Set(ids(all));
    for (const key of ['user', 'groupB', 'groupC', 'untagged', 'doomed']) expect(seen.has(m[key]!.id), key).toBe(false);
    expect(ids(await peerMessages(h, t, b.id))).not.toContain(m.e1!.id);
  });

  it('caps the count with limit, keeping the newest', async () => {
    expect(ids(await peerMessages(h, t, b.id, '?limit=2'))).toEqual([m.b1!.id, m.b2!.id]);
    expect(ids(await peerMessages(h, t, b.id, '?limit=1'))).toEqual([m.b1!.id]);
    expect(await peerMessages(h, t, b.id, '?limit=100')).toHaveLength(3);
  });

  it('refuses limit 0 and 101 with 422 on query.limit', async () => {
    expectInvalid(await h.http.get(`${API}/agents/${b.id}/messages?limit=0`).set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
    expectInvalid(await h.http.get(`${API}/agents/${b.id}/messages?limit=101`).set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
    expectInvalid(await h.http.get(`${API}/agents/${b.id}/messages?limit=ten`).set(t.auth), 'BAD_REQUEST', ['query.limit']);
  });

  it('returns 50 by default, the 50 newest of 60, and up to 100 when asked', async () => {
    const org = await h.tenant();
    const y = await createAgent(h, org, { name: 'Yankee' });
    const x = await createAgent(h, org, { name: 'Xray', allowedPeers: [y.slug] });
    const s = await createSession(h, org, { agentIds: [x.id, y.id], metadata: { relationship: 'peer' } });
    const posted: Message[] = [];
    for (let i = 0; i < 60; i++) posted.push(await postMessage(h, org, s.id, { content: `n${i}`, agentId: x.slug }));
    for (const [i, msg] of posted.entries()) await setMessageCreatedAt(msg.id, at(1000 + i));
    const newestFirst = ids(posted).reverse();

    const byDefault = await peerMessages(h, org, x.slug);
    expect(byDefault).toHaveLength(50);
    expect(ids(byDefault)).toEqual(newestFirst.slice(0, 50));
    expect(byDefault.every((p) => p.isSelf && p.fromAgentName === 'Xray')).toBe(true);
    expect(ids(await peerMessages(h, org, x.slug, '?limit=100'))).toEqual(newestFirst);
    const fromY = await peerMessages(h, org, y.id, '?limit=100');
    expect(ids(fromY)).toEqual(newestFirst);
    expect(fromY.every((p) => !p.isSelf)).toBe(true);
  });

  it('shows a member only the messages of sessions in workspaces the member can see', async () => {
    const org = await h.tenant();
    const member = await h.colleague(org);
    const ownersAgent = await createAgent(h, org, { name: 'Owner Side', allowedPeers: ['ala'] });
    const membersAgent = await createAgent(h, member, { name: 'Member Side', allowedPeers: ['ala'] });
    const ownerSession = await createSession(h, org, { agentIds: ['ala', ownersAgent.id], metadata: { relationship: 'peer' } });
    const memberSession = await createSession(h, member, { agentIds: ['ala', membersAgent.id], metadata: { relationship: 'peer' } });
    const fromOwner = await postMessage(h, org, ownerSession.id, { content: 'owner side', agentId: ownersAgent.slug });
    const fromMember = await postMessage(h, member, memberSession.id, { content: 'member side', agentId: membersAgent.slug });
    await setMessageCreatedAt(fromOwner.id, at(1));
    await setMessageCreatedAt(fromMember.id, at(2));

    expect(ids(await peerMessages(h, member, 'ala'))).toEqual([fromMember.id]);
    expect(ids(await peerMessages(h, org, 'ala'))).toEqual([fromMember.id, fromOwner.id]);
  });

  it("answers 404 for a deleted agent, another org's agent and one a member cannot see", async () => {
    const doomed = await createAgent(h, t, { name: 'Doomed Peer' });
    await deleteAgent(h, t, doomed.id);
    expectError(await h.http.get(`${API}/agents/${doomed.id}/messages`).set(t.auth), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/agents/${doomed.slug}/messages`).set(t.auth), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/agents/${b.id}/messages`).set((await h.tenant()).auth), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/agents/${b.id}/messages`).set((await h.colleague(t)).auth), 'NOT_FOUND');
  });
});

describe('GET /api/v1/agents/:id/peers', () => {
  let t: Tenant;
  let a: Agent;
  let b: Agent;
  let c: Agent;
  let d: Agent;
  beforeAll(async () => {
    t = await h.tenant();
    a = await createAgent(h, t, { name: 'Alpha' });
    b = await createAgent(h, t, { name: 'Bravo' });
    c = await createAgent(h, t, { name: 'Charlie' });
    d = await createAgent(h, t, { name: 'Delta', allowedPeers: [c.slug, 'ala', a.slug] });
  });

  const peerSlugs = async (who: Tenant, ref: string) =>
    expectSuccess<{ items: Agent[] }>(await h.http.get(`${API}/agents/${ref}/peers`).set(who.auth)).items.map((p) => p.slug);

  it('lists the agents named in allowedPeers, as full records, in the order named', async () => {
    const data = expectSuccess<{ items: Agent[] }>(await h.http.get(`${API}/agents/${d.slug}/peers`).set(t.auth));
    expect(Object.keys(data)).toEqual(['items']);
    expect(data.items).toEqual([await getAgent(h, t, c.id), await getAgent(h, t, 'ala'), await getAgent(h, t, a.id)]);
    expect(await peerSlugs(t, d.id)).toEqual([c.slug, 'ala', a.slug]);
  });

  it('answers an empty list for an agent without peers', async () => {
    expect(expectSuccess(await h.http.get(`${API}/agents/${b.id}/peers`).set(t.auth))).toEqual({ items: [] });
    expect(expectSuccess(await h.http.get(`${API}/agents/ala/peers`).set(t.auth))).toEqual({ items: [] });
  });

  it('skips peers that have been deleted', async () => {
    const e = await createAgent(h, t, { name: 'Echo' });
    const f = await createAgent(h, t, { name: 'Foxtrot', allowedPeers: [e.slug, b.slug] });
    expect(await peerSlugs(t, f.slug)).toEqual([e.slug, b.slug]);
    await deleteAgent(h, t, e.id);
    expect(await peerSlugs(t, f.slug)).toEqual([b.slug]);
  });

  it('skips peers in workspaces the caller cannot see, in the list and in the record', async () => {
    const member = await h.colleague(t);
    // The member cannot name c (its workspace is hidden from them); a dashboard session of the owner could.
    const mine = await createAgent(h, member, { name: 'Member Agent', allowedPeers: ['ala'] });
    const ala = await h.db.prisma.agent.findFirstOrThrow({ where: { orgId: t.orgId, isDefault: true } });
    await h.db.prisma.agent.update({ where: { id: mine.id }, data: { allowedPeerIds: [c.id, ala.id] } });
    expect(await peerSlugs(member, mine.slug)).toEqual(['ala']);
    expect((await h.http.get(`${API}/agents/${mine.slug}`).set(member.auth).expect(200)).body.data.allowedPeers).toEqual(['ala']);
    expect(await peerSlugs(t, mine.id)).toEqual([c.slug, 'ala']);
    expect((await h.http.get(`${API}/agents/${mine.id}`).set(t.auth).expect(200)).body.data.allowedPeers).toEqual([c.slug, 'ala']);
  });

  it("answers 404 for a deleted agent, another org's agent and one a member cannot see", async () => {
    const g = await createAgent(h, t, { name: 'Golf', allowedPeers: ['ala'] });
    await deleteAgent(h, t, g.id);
    expectError(await h.http.get(`${API}/agents/${g.id}/peers`).set(t.auth), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/agents/${g.slug}/peers`).set(t.auth), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/agents/${d.id}/peers`).set((await h.tenant()).auth), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/agents/${d.slug}/peers`).set((await h.colleague(t)).auth), 'NOT_FOUND');
  });
});
