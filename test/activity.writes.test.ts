import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, ApiKey, ChatResult, Session } from '../generated/sdk/types.gen.js';
import { EXCERPT_CHARS, excerpt } from '../server/data/activity.js';
import { hashKey } from '../server/domain/keys.js';
import { RELAXED, chatPath, upstreamEnv } from './helpers/chat.js';
import { UUID, expectError, expectSuccess } from './helpers/envelope.js';
import { API, createAgent, createApiKey, createSession, deleteSession, postMessage } from './helpers/fixtures.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

/**
 * The activity rows of sessions, messages, chat replies, API keys and credits, read straight from the
 * table: one row per acknowledged change, with the documented actor, subject, scope and machine, none for a
 * refused change, and never a secret or more of a message than its excerpt.
 */

let h: Harness;
let up: Upstream;
beforeAll(async () => {
  up = await startUpstream();
  h = await startHarness(upstreamEnv(up, RELAXED));
});
afterEach(() => up.reset());
afterAll(async () => {
  await h?.close();
  await up?.close();
});

const rowsOf = (orgId: string, kind?: string) =>
  h.db.prisma.activity.findMany({ where: { orgId, ...(kind ? { kind } : {}) }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
const rowsAbout = (subjectId: string) => h.db.prisma.activity.findMany({ where: { subjectId }, orderBy: [{ createdAt: 'asc' }] });
/** Every text column of every row of the org, as one string, to search for what must never be there. */
const everything = async (orgId: string) => JSON.stringify(await h.db.prisma.activity.findMany({ where: { orgId } }));

const actorOfKey = (name = 'bootstrap') => ({ actorType: 'api_key', actorName: name });

describe('sessions', () => {
  let t: Tenant;
  let writer: Agent;
  beforeAll(async () => {
    t = await h.tenant();
    writer = await createAgent(h, t, { name: 'Writer' });
  });

  it('created, updated and deleted each write one row naming the session, its first agent, its scope and this machine', async () => {
    const s = await createSession(h, t, { title: 'Weekly sync', agentIds: [writer.slug, 'ala'] });
    const patched = await h.http.patch(`${API}/sessions/${s.id}`).set(t.auth).send({ title: 'Weekly sync, Dec' });
    expectSuccess(patched);
    await deleteSession(h, t, s.id);
    const rows = await rowsAbout(s.id);
    expect(rows.map((r) => r.kind)).toEqual(['session.created', 'session.updated', 'session.deleted']);
    for (const r of rows) {
      expect(r).toMatchObject({
        orgId: t.orgId,
        workspaceId: t.workspaceId,
        privateToUserId: null,
        subjectType: 'session',
        agentId: writer.id,
        projectId: null,
        machineId: expect.stringMatching(UUID),
        ...actorOfKey(),
      });
      expect(r.actorId).toEqual(expect.any(String));
    }
    expect(rows.map((r) => r.subjectName)).toEqual(['Weekly sync', 'Weekly sync, Dec', 'Weekly sync, Dec']);
    expect(rows[0]!.summary).toBe('Session "Weekly sync" was created by key "bootstrap"');
    // All rows name the same machine: the process that served the requests.
    expect(new Set(rows.map((r) => r.machineId)).size).toBe(1);
  });

  it('an untitled session is named as such', async () => {
    const s = await createSession(h, t, { agentIds: ['ala'] });
    expect((await rowsAbout(s.id))[0]).toMatchObject({ kind: 'session.created', subjectName: 'Untitled session' });
  });

  it('only the first DELETE writes a row; a repeated one answers the same and writes nothing', async () => {
    const s = await createSession(h, t, { agentIds: ['ala'] });
    await deleteSession(h, t, s.id);
    await deleteSession(h, t, s.id);
    expect((await rowsAbout(s.id)).map((r) => r.kind)).toEqual(['session.created', 'session.deleted']);
  });

  it('concurrent DELETEs of one session write exactly one row', async () => {
    const s = await createSession(h, t, { agentIds: ['ala'] });
    const answers = await Promise.all(Array.from({ length: 6 }, () => h.http.delete(`${API}/sessions/${s.id}`).set(t.auth)));
    for (const res of answers) expectSuccess(res);
    expect((await rowsAbout(s.id)).filter((r) => r.kind === 'session.deleted')).toHaveLength(1);
  });

  it('a refused create, update or delete writes nothing', async () => {
    const before = (await rowsOf(t.orgId)).length;
    expectError(
      await h.http
        .post(`${API}/sessions`)
        .set(t.auth)
        .send({ agentIds: ['no-such-agent'] }),
      'BAD_REQUEST',
    );
    expectError(
      await h.http
        .post(`${API}/sessions`)
        .set(t.auth)
        .send({ agentIds: ['ala'], projectId: 'no-such-project' }),
      'BAD_REQUEST',
    );
    const s = await createSession(h, t, { agentIds: ['ala'] });
    expectError(await h.http.patch(`${API}/sessions/${s.id}`).set(t.auth).send({}), 'BAD_REQUEST');
    const other = await h.tenant();
    expectError(await h.http.delete(`${API}/sessions/${s.id}`).set(other.auth), 'NOT_FOUND');
    expect((await rowsOf(t.orgId)).length).toBe(before + 1);
    expect(await rowsOf(other.orgId, 'session.deleted')).toEqual([]);
  });
});

describe('messages', () => {
  let t: Tenant;
  let writer: Agent;
  let s: Session;
  beforeAll(async () => {
    t = await h.tenant();
    await h.db.prisma.user.update({ where: { id: t.userId }, data: { name: 'Dana' } });
    writer = await createAgent(h, t, { name: 'Writer' });
    s = await createSession(h, t, { title: 'Notes', agentIds: [writer.id] });
  });

  it("a user's message: one message.posted row about the message, named by its excerpt, in the session's scope", async () => {
    const m = await postMessage(h, t, s.id, { content: 'Short note' });
    const [row, ...more] = await rowsAbout(m.id);
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      kind: 'message.posted',
      subjectType: 'message',
      subjectName: 'Short note',
      agentId: null,
      workspaceId: t.workspaceId,
      summary: 'Dana posted a message in session "Notes"',
      details: { sessionId: s.id },
      ...actorOfKey(),
    });
  });

  it("an agent's message names the author agent", async () => {
    const m = await postMessage(h, t, s.id, { content: 'From the agent', agentId: writer.slug });
    expect((await rowsAbout(m.id))[0]).toMatchObject({
      kind: 'message.posted',
      agentId: writer.id,
      summary: 'Writer posted a message in session "Notes"',
    });
  });

  it(`a long message is in the feed only as its first ${EXCERPT_CHARS} characters`, async () => {
    const secretTail = 'TAIL-THAT-MUST-NOT-BE-STORED';
    const content = `${'word '.repeat(40)}${secretTail}`;
    const m = await postMessage(h, t, s.id, { content });
    const [row] = await rowsAbout(m.id);
    expect(row!.subjectName).toBe(excerpt(content));
    expect([...row!.subjectName].length).toBeLessThanOrEqual(EXCERPT_CHARS);
    expect(await everything(t.orgId)).not.toContain(secretTail);
  });

  it('a refused message (an inactive author) writes nothing', async () => {
    const idle = await createAgent(h, t, { name: 'Idle' });
    expectSuccess(await h.http.patch(`${API}/agents/${idle.id}`).set(t.auth).send({ isActive: false }));
    const s2 = await createSession(h, t, { agentIds: [idle.id] });
    const before = (await rowsOf(t.orgId, 'message.posted')).length;
    expectError(await h.http.post(`${API}/sessions/${s2.id}/messages`).set(t.auth).send({ content: 'x', agentId: idle.id }), 'FORBIDDEN');
    expect((await rowsOf(t.orgId, 'message.posted')).length).toBe(before);
  });
});

describe('chat', () => {
  let t: Tenant;
  let agent: Agent;
  let s: Session;
  beforeAll(async () => {
    t = await h.tenant();
    agent = await createAgent(h, t, { name: 'Helper', model: 'grok-3' });
    s = await createSession(h, t, { title: 'Help', agentIds: [agent.id] });
  });

  it('a chat writes message.posted for the message and chat.replied for the reply, with model, status and usage', async () => {
    up.enqueue({ kind: 'reply', chunks: ['Hello', ' there'], usage: { prompt_tokens: 12, completion_tokens: 3 } });
    const result = expectSuccess<ChatResult>(
      await h.http.post(chatPath(s.id)).set(t.auth).send({ content: 'Hi Helper', stream: false }),
      201,
    );
    const [posted] = await rowsAbout(result.message.id);
    expect(posted).toMatchObject({
      kind: 'message.posted',
      subjectType: 'message',
      subjectName: 'Hi Helper',
      details: { sessionId: s.id },
    });
    const replies = await rowsAbout(result.reply.id);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({
      kind: 'chat.replied',
      actorType: 'agent',
      actorId: agent.id,
      actorName: 'Helper',
      subjectType: 'message',
      subjectName: 'Hello there',
      agentId: agent.id,
      workspaceId: t.workspaceId,
      machineId: posted!.machineId,
      details: {
        sessionId: s.id,
        replyTo: result.message.id,
        model: 'grok-3',
        status: 'complete',
        usage: { inputTokens: 12, outputTokens: 3, creditMicro: result.reply.usage!.creditMicro },
      },
    });
    expect(replies[0]!.summary).toBe('Helper replied with grok-3 in session "Help"');
  });

  it('a streamed chat writes the message row with the message and the reply row with the reply', async () => {
    up.enqueue({ kind: 'reply', chunks: ['Streamed', ' answer'], usage: { prompt_tokens: 5, completion_tokens: 2 } });
    const res = await h.http.post(chatPath(s.id)).set(t.auth).set('Accept', 'text/event-stream').send({ content: 'Stream please' });
    expect(res.status).toBe(200);
    const messages = await h.db.prisma.message.findMany({ where: { sessionId: s.id }, orderBy: { createdAt: 'desc' }, take: 2 });
    const [reply, message] = messages;
    expect((await rowsAbout(message!.id)).map((r) => r.kind)).toEqual(['message.posted']);
    const [row] = await rowsAbout(reply!.id);
    expect(row).toMatchObject({ kind: 'chat.replied', details: { status: 'complete', usage: { inputTokens: 5, outputTokens: 2 } } });
  });

  it('a refused chat (no participant of that name) writes nothing', async () => {
    const before = (await rowsOf(t.orgId)).length;
    expectError(await h.http.post(chatPath(s.id)).set(t.auth).send({ content: 'x', agentId: 'nobody', stream: false }), 'BAD_REQUEST');
    expect((await rowsOf(t.orgId)).length).toBe(before);
  });
});

describe('API keys', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });

  it('minted and revoked name the key by its name only, private to its user; the key and its hash are in no column', async () => {
    const created = await createApiKey(h, t, { name: 'ci deploy' });
    const revoked = expectSuccess<ApiKey>(await h.http.delete(`${API}/api-keys/${created.id}`).set(t.auth));
    expect(revoked.revokedAt).not.toBeNull();
    const rows = await rowsAbout(created.id);
    expect(rows.map((r) => r.kind)).toEqual(['api_key.minted', 'api_key.revoked']);
    for (const r of rows) {
      expect(r).toMatchObject({
        subjectType: 'api_key',
        subjectName: 'ci deploy',
        workspaceId: null,
        privateToUserId: t.userId,
        ...actorOfKey(),
      });
    }
    expect(rows[0]!.summary).toBe('API key "ci deploy" was minted by key "bootstrap"');
    const all = await everything(t.orgId);
    for (const secret of [created.key, hashKey(created.key), created.key.slice(9), t.key, hashKey(t.key)])
      expect(all).not.toContain(secret);
  });

  it("a member's key rows are private to that member", async () => {
    const member = await h.colleague(t, { role: 'member' });
    const created = await createApiKey(h, member, { name: uniq('mine') });
    expect((await rowsAbout(created.id))[0]).toMatchObject({ kind: 'api_key.minted', privateToUserId: member.userId });
  });

  it('a refused revoke (already revoked) and a refused mint write nothing', async () => {
    const created = await createApiKey(h, t, { name: 'twice' });
    expectSuccess(await h.http.delete(`${API}/api-keys/${created.id}`).set(t.auth));
    expectError(await h.http.delete(`${API}/api-keys/${created.id}`).set(t.auth), 'CONFLICT');
    expect((await rowsAbout(created.id)).map((r) => r.kind)).toEqual(['api_key.minted', 'api_key.revoked']);
    const before = (await rowsOf(t.orgId, 'api_key.minted')).length;
    expectError(await h.http.post(`${API}/api-keys`).set(t.auth).send({ name: '   ' }), 'VALIDATION_ERROR');
    expect((await rowsOf(t.orgId, 'api_key.minted')).length).toBe(before);
  });

  it('concurrent revokes of one key write exactly one row', async () => {
    const created = await createApiKey(h, t, { name: 'raced' });
    await Promise.all(Array.from({ length: 6 }, () => h.http.delete(`${API}/api-keys/${created.id}`).set(t.auth)));
    expect((await rowsAbout(created.id)).filter((r) => r.kind === 'api_key.revoked')).toHaveLength(1);
  });
});

describe('bootstrap', () => {
  it("a new org's first key and its initial credits are written by the system, org-wide", async () => {
    const t = await h.tenant();
    const rows = await rowsOf(t.orgId);
    const grant = rows.find((r) => r.kind === 'credits.granted');
    expect(grant).toMatchObject({
      actorType: 'system',
      actorId: null,
      actorName: 'system',
      subjectType: 'organization',
      subjectId: t.orgId,
      subjectName: t.orgSlug,
      workspaceId: null,
      machineId: null,
      details: { creditMicro: 10_000_000, credits: 10 },
    });
    const minted = rows.filter((r) => r.kind === 'api_key.minted');
    expect(minted).toHaveLength(1);
    expect(minted[0]).toMatchObject({ actorType: 'system', subjectType: 'api_key', subjectName: 'bootstrap', privateToUserId: t.userId });
    expect(await everything(t.orgId)).not.toContain(t.key);
  });
});
