import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretBoxFor } from '../server/data/secret-box.js';
import { hashTriggerToken } from '../server/domain/triggers.js';
import { redactKeys } from '../server/logger.js';
import { givePassword, signIn } from './helpers/browser-session.js';
import { eventually } from './helpers/chat.js';
import { expectError, expectSuccess, ISO, UUID } from './helpers/envelope.js';
import { API, createAgent, deleteAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

// Inbound agent triggers (issue 15): minting, listing and revoking a trigger URL from the dashboard, and
// what a call to the URL does: a session of relationship `trigger` with the agent, the body as its
// message, 202 at once, and the agent's reply stored in the background.

let h: Harness;
let t: Tenant;
let cookie: Record<string, string>;
let agentId: string;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  cookie = (await signIn(h.http, t.email, await givePassword(h, t))).headers;
  agentId = (await createAgent(h, t, { name: 'Support bot', model: 'alumia-local' })).id;
});
afterAll(() => h.close());

const create = (body: object = {}, headers = cookie, agent = agentId) =>
  h.http.post(`${API}/agents/${agent}/triggers`).set(headers).send(body);
const run = (token: string, body: unknown, headers: Record<string, string> = {}) =>
  h.http.post(`${API}/triggers/${token}`).set(headers).set('Content-Type', 'application/json').send(JSON.stringify(body));
const messagesOf = async (sessionId: string, auth = t.auth) =>
  expectSuccess(await h.http.get(`${API}/sessions/${sessionId}/messages`).set(auth)).items as Array<Record<string, unknown>>;
/** The session's messages once the agent's reply is stored (bounded: a stuck reply fails the test). */
const withReply = async (sessionId: string) => {
  const items = await eventually(
    () => messagesOf(sessionId),
    (m) => m.length === 2,
    5_000,
  );
  expect(items).toHaveLength(2);
  return items;
};
const activityOf = (subjectId: string) => h.db.prisma.activity.findMany({ where: { subjectId }, orderBy: { createdAt: 'asc' } });

describe('creating, listing and revoking triggers', () => {
  it('a stepped-up dashboard session mints one: the token and url once, only the hash stored', async () => {
    const created = expectSuccess(await create({ description: 'Support inbox' }), 201);
    expect(created).toEqual({
      id: expect.stringMatching(UUID),
      agentId,
      description: 'Support inbox',
      verifiesSignatures: false,
      createdAt: expect.stringMatching(ISO),
      lastUsedAt: null,
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/triggers\/trg_[A-Za-z0-9_-]{43}$/),
      token: expect.stringMatching(/^trg_[A-Za-z0-9_-]{43}$/),
      secret: null,
    });
    expect(created.url.endsWith(`/api/v1/triggers/${created.token}`)).toBe(true);
    const row = await h.db.prisma.agentTrigger.findUniqueOrThrow({ where: { id: created.id } });
    expect(row).toMatchObject({ tokenHash: hashTriggerToken(created.token), secret: null, createdByUserId: t.userId, orgId: t.orgId });
    expect(JSON.stringify(row)).not.toContain(created.token.slice(4));
    // Listed (with a key too) without the token.
    const list = expectSuccess(await h.http.get(`${API}/agents/${agentId}/triggers`).set(t.auth));
    expect(list.items.find((x: { id: string }) => x.id === created.id)).toEqual({
      id: created.id,
      agentId,
      description: 'Support inbox',
      verifiesSignatures: false,
      createdAt: created.createdAt,
      lastUsedAt: null,
    });
    expect(JSON.stringify(list)).not.toContain(created.token);
    // One activity row, about the trigger, naming the user.
    const [entry, ...more] = await activityOf(created.id);
    expect(more).toHaveLength(0);
    expect(entry).toMatchObject({
      kind: 'trigger.created',
      subjectType: 'trigger',
      agentId,
      actorType: 'user',
      actorId: t.userId,
      workspaceId: t.workspaceId,
    });
  });

  it('verifySignatures mints a whsec_ secret, shown once and stored only sealed', async () => {
    const created = expectSuccess(await create({ verifySignatures: true }), 201);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created).toMatchObject({ verifiesSignatures: true, description: '' });
    const row = await h.db.prisma.agentTrigger.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.secret).toMatch(/^v1:/);
    expect(row.secret).not.toContain(created.secret.slice(6));
    expect(secretBoxFor(h.config.secretsKey).open(row.secret!)).toBe(created.secret);
    const list = expectSuccess(await h.http.get(`${API}/agents/${agentId}/triggers`).set(cookie));
    expect(JSON.stringify(list)).not.toContain(created.secret.slice(6));
  });

  it('refuses API keys for create and revoke (403) and creates nothing', async () => {
    const before = await h.db.prisma.agentTrigger.count();
    expectError(await create({}, t.auth), 'FORBIDDEN');
    const made = expectSuccess(await create(), 201);
    expectError(await h.http.delete(`${API}/agents/${agentId}/triggers/${made.id}`).set(t.auth), 'FORBIDDEN');
    expect(await h.db.prisma.agentTrigger.count()).toBe(before + 1);
    expect((await h.db.prisma.agentTrigger.findUniqueOrThrow({ where: { id: made.id } })).revokedAt).toBeNull();
  });

  it('an agent the caller cannot see is a 404 for create, list and revoke', async () => {
    const other = await h.tenant();
    const otherCookie = (await signIn(h.http, other.email, await givePassword(h, other))).headers;
    const made = expectSuccess(await create(), 201);
    expectError(await create({}, otherCookie), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/agents/${agentId}/triggers`).set(other.auth), 'NOT_FOUND');
    expectError(await h.http.delete(`${API}/agents/${agentId}/triggers/${made.id}`).set(otherCookie), 'NOT_FOUND');
    // A trigger of another agent is not found under this one.
    const otherAgent = (await createAgent(h, t, { name: 'Second bot', model: 'alumia-local' })).id;
    expectError(await h.http.delete(`${API}/agents/${otherAgent}/triggers/${made.id}`).set(cookie), 'NOT_FOUND');
    // A member who cannot see the agent's workspace cannot reach it either.
    const member = await h.colleague(t, { role: 'member' });
    const memberCookie = (await signIn(h.http, member.email, await givePassword(h, member))).headers;
    expectError(await create({}, memberCookie), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/agents/${agentId}/triggers`).set(member.auth), 'NOT_FOUND');
  });

  it('revoking stops the URL at once (404); a repeat answers the same and writes no second row', async () => {
    const made = expectSuccess(await create({ description: 'short-lived' }), 201);
    expectSuccess(await run(made.token, { hi: 1 }), 202);
    const revoke = () => h.http.delete(`${API}/agents/${agentId}/triggers/${made.id}`).set(cookie);
    expect(expectSuccess(await revoke())).toEqual({ deleted: true });
    expect(expectSuccess(await revoke())).toEqual({ deleted: true });
    expectError(await run(made.token, { hi: 2 }), 'NOT_FOUND');
    const list = expectSuccess(await h.http.get(`${API}/agents/${agentId}/triggers`).set(t.auth));
    expect(list.items.map((x: { id: string }) => x.id)).not.toContain(made.id);
    const kinds = (await activityOf(made.id)).map((a) => a.kind);
    expect(kinds).toEqual(['trigger.created', 'trigger.revoked']);
  });
});

describe('calling a trigger URL', () => {
  it('starts a trigger session with the agent, stores the body as the message, answers 202, and the agent replies', async () => {
    const made = expectSuccess(await create({ description: 'Ticket feed' }), 201);
    const started = expectSuccess(await run(made.token, { ticket: 4821, subject: 'Printer on fire' }), 202);
    expect(started).toEqual({ sessionId: expect.stringMatching(UUID), messageId: expect.stringMatching(UUID) });
    const session = expectSuccess(await h.http.get(`${API}/sessions/${started.sessionId}`).set(t.auth));
    expect(session).toMatchObject({
      agentIds: [agentId],
      workspaceId: t.workspaceId,
      metadata: { relationship: 'trigger', triggerId: made.id },
    });
    const [message, reply] = await withReply(started.sessionId);
    expect(message).toMatchObject({
      id: started.messageId,
      role: 'user',
      userId: null,
      agentId: null,
      content: '{"ticket":4821,"subject":"Printer on fire"}',
    });
    expect(reply).toMatchObject({ role: 'agent', agentId, replyTo: started.messageId, status: 'complete', model: 'alumia-local' });
    // The agent was told who wrote: the trigger, not its creator.
    expect(reply!.content).toContain('Ticket feed: {"ticket":4821');
    // The session's creation and the message name the trigger as their actor; the reply names the agent.
    const rows = await h.db.prisma.activity.findMany({
      where: { OR: [{ subjectId: started.sessionId }, { subjectId: started.messageId }] },
    });
    expect(rows.map((r) => [r.kind, r.actorType, r.actorId, r.actorName]).sort()).toEqual([
      ['message.posted', 'trigger', made.id, 'Ticket feed'],
      ['session.created', 'trigger', made.id, 'Ticket feed'],
    ]);
    const replied = await h.db.prisma.activity.findFirstOrThrow({ where: { kind: 'chat.replied', subjectId: reply!.id as string } });
    expect(replied).toMatchObject({ actorType: 'agent', actorId: agentId });
    // lastUsedAt is set.
    const listed = expectSuccess(await h.http.get(`${API}/agents/${agentId}/triggers`).set(t.auth));
    expect(listed.items.find((x: { id: string }) => x.id === made.id).lastUsedAt).toMatch(ISO);
  });

  it('any JSON value is a body: a string is the message as sent, others compact JSON', async () => {
    const made = expectSuccess(await create(), 201);
    const text = expectSuccess(await run(made.token, 'Deploy finished'), 202);
    expect((await withReply(text.sessionId))[0]!.content).toBe('Deploy finished');
    const list = expectSuccess(await run(made.token, [1, { a: null }]), 202);
    expect((await withReply(list.sessionId))[0]!.content).toBe('[1,{"a":null}]');
    const num = expectSuccess(await run(made.token, 7), 202);
    expect((await withReply(num.sessionId))[0]!.content).toBe('7');
    // A trigger without a description is named "trigger".
    const row = await h.db.prisma.activity.findFirstOrThrow({ where: { kind: 'session.created', subjectId: num.sessionId } });
    expect(row.actorName).toBe('trigger');
  });

  it('a body that is not JSON is a 400 and creates nothing', async () => {
    const made = expectSuccess(await create(), 201);
    const before = await h.db.prisma.session.count({ where: { orgId: t.orgId } });
    const res = await h.http.post(`${API}/triggers/${made.token}`).set('Content-Type', 'application/json').send('{"open":');
    expectError(res, 'BAD_REQUEST');
    expect(await h.db.prisma.session.count({ where: { orgId: t.orgId } })).toBe(before);
  });

  it('an unknown token and the token of a deleted agent are 404; a malformed one is refused by the contract', async () => {
    const unknown = await run(`trg_${'x'.repeat(43)}`, {});
    expect(unknown.status, JSON.stringify(unknown.body)).toBe(404);
    // A token outside the contract's pattern never reaches the lookup.
    expectError(await run('not%20a%20token', {}), 'VALIDATION_ERROR');
    const doomed = (await createAgent(h, t, { name: 'Doomed bot', model: 'alumia-local' })).id;
    const made = expectSuccess(await create({}, cookie, doomed), 201);
    expectSuccess(await run(made.token, {}), 202);
    await deleteAgent(h, t, doomed);
    const before = await h.db.prisma.session.count({ where: { orgId: t.orgId } });
    expectError(await run(made.token, {}), 'NOT_FOUND');
    expect(await h.db.prisma.session.count({ where: { orgId: t.orgId } })).toBe(before);
  });
});

describe('signed triggers', () => {
  let token: string;
  let secret: string;
  beforeAll(async () => {
    const made = expectSuccess(await create({ description: 'Signed', verifySignatures: true }), 201);
    ({ token, secret } = made);
  });
  const sign = (raw: string, at = new Date(), key = secret) => ({
    'webhook-id': 'msg_2Lb3',
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(key).sign('msg_2Lb3', at, raw),
  });
  const send = (raw: string, headers: Record<string, string>) =>
    h.http.post(`${API}/triggers/${token}`).set(headers).set('Content-Type', 'application/json').send(raw);

  it('accepts a request signed over its exact bytes with the trigger secret', async () => {
    const raw = '{ "event" : "push",\n  "ref": "main" }';
    const started = expectSuccess(await send(raw, sign(raw)), 202);
    expect((await withReply(started.sessionId))[0]!.content).toBe('{"event":"push","ref":"main"}');
  });

  it('refuses a missing, wrong or stale signature with 401, creating nothing', async () => {
    const raw = '{"event":"push"}';
    const before = await h.db.prisma.session.count({ where: { orgId: t.orgId } });
    expectError(await send(raw, {}), 'UNAUTHORIZED');
    expectError(await send(raw, sign(raw, new Date(), `whsec_${Buffer.alloc(32, 1).toString('base64')}`)), 'UNAUTHORIZED');
    // The same signature over other bytes (re-serialized JSON) does not pass.
    expectError(await send('{"event": "push"}', sign(raw)), 'UNAUTHORIZED');
    expectError(await send(raw, sign(raw, new Date(Date.now() - 6 * 60_000))), 'UNAUTHORIZED');
    expect(await h.db.prisma.session.count({ where: { orgId: t.orgId } })).toBe(before);
  });
});

describe('the token stays out of the logs', () => {
  it('redaction covers trigger paths, token-shaped runs and percent-encoding, not trigger ids', () => {
    const token = `trg_${'A1b_'.repeat(11)}`;
    expect(redactKeys(`/api/v1/triggers/${token}?x=1`)).toBe('/api/v1/triggers/[redacted]?x=1');
    expect(redactKeys(`/api/v1/triggers/${token.replace('_', '%5F')}`)).toBe('/api/v1/triggers/[redacted]');
    expect(redactKeys(`see ${token} here`)).toBe('see trg_[redacted] here');
    const id = '9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f';
    expect(redactKeys(`/api/v1/agents/a/triggers/${id}`)).toBe(`/api/v1/agents/a/triggers/${id}`);
  });

  it('a wrong method on a trigger URL answers 404 without echoing the token', async () => {
    const made = expectSuccess(await create(), 201);
    const res = await h.http.get(`${API}/triggers/${made.token}`);
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toContain(made.token.slice(4));
  });

  it('the access log writes a trigger URL as /triggers/[redacted]', async () => {
    const made = expectSuccess(await create(), 201);
    expectSuccess(await run(made.token, { log: 'me' }), 202);
    await run(`${made.token}x`, {});
    const secretPart = made.token.slice(4);
    expect(h.logs.join('\n')).not.toContain(secretPart);
    const lines = h.logs.map((l) => JSON.parse(l) as { route?: string; req?: { url: string } }).filter((l) => l.route === 'runTrigger');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line.req!.url).toBe('/api/v1/triggers/[redacted]');
  });
});
