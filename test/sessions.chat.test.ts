import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, ChatResult, Model, PeerMessage, Session } from '../generated/sdk/types.gen.js';
import {
  balanceOf,
  chatPath,
  costOf,
  drainCredits,
  expectLedgerConsistent,
  messagesOf,
  modelOf,
  RELAXED,
  storedState,
  upstreamEnv,
  XAI_KEY,
} from './helpers/chat.js';
import { expectError, expectInvalid, expectSuccess, ISO, UUID } from './helpers/envelope.js';
import { API, createAgent, createSession, deleteSession, peerMessages, postMessage } from './helpers/fixtures.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

let h: Harness;
let up: Upstream;
let dir: string;
beforeAll(async () => {
  up = await startUpstream();
  // One extra model with a small window, for the context-window rules.
  dir = mkdtempSync(join(tmpdir(), 'alumia-chat-models-'));
  const file = join(dir, 'models.yaml');
  writeFileSync(
    file,
    'models:\n  - { id: tiny, name: Tiny, provider: xai, contextWindow: 2048, inputCreditMicroPerMTok: 0, outputCreditMicroPerMTok: 0 }\n',
  );
  h = await startHarness(upstreamEnv(up, { ...RELAXED, MODEL_PROVIDERS_FILE: file })); // no test here times out
});
afterEach(() => up.reset());
afterAll(async () => {
  await h?.close();
  await up?.close();
  rmSync(dir, { recursive: true, force: true });
});

const chat = (t: Tenant, sessionId: string, body: object, headers: Record<string, string> = {}) =>
  h.http.post(chatPath(sessionId)).set(t.auth).set(headers).send(body);
const chatted = async (t: Tenant, sessionId: string, body: object) => expectSuccess<ChatResult>(await chat(t, sessionId, body), 201);
/** A tenant whose user is called `name`, so the prompt's `Name: text` prefixes are known. */
const namedTenant = async (name = 'Dana') => {
  const t = await h.tenant();
  await h.db.prisma.user.update({ where: { id: t.userId }, data: { name } });
  return t;
};
/** A session with one agent on `model`. */
async function soloSession(t: Tenant, model: string, extra: Record<string, unknown> = {}) {
  const agent = await createAgent(h, t, { name: uniq('Solo'), model, ...extra });
  return { agent, s: await createSession(h, t, { agentIds: [agent.id] }) };
}
/** Turns as the contract counts them: 4 characters a token, plus 4 per message. */
const tokens = (text: string) => Math.ceil(text.length / 4) + 4;

describe('a chat answered through the model (201)', () => {
  // The stored pair, its cost from the catalog's prices, and exactly what the provider was sent.
  it('stores the message and the reply, lists them in order, debits the reply and moves updatedAt', async () => {
    const t = await h.tenant();
    const { agent, s } = await soloSession(t, 'grok-3-mini', { systemPrompt: 'Be brief.' });
    const price = await modelOf(h, t, 'grok-3-mini');
    const before = await balanceOf(h, t.orgId);
    up.enqueue({ kind: 'reply', chunks: ['Hello', ' there'], usage: { prompt_tokens: 1234, completion_tokens: 567 } });

    const { message, reply } = await chatted(t, s.id, { content: 'Hi', agentId: agent.slug });
    expect(message).toEqual({
      ...{ id: expect.stringMatching(UUID), sessionId: s.id, agentId: null, userId: t.userId, role: 'user', status: 'complete' },
      ...{ content: 'Hi', model: null, usage: null, replyTo: null, createdAt: expect.stringMatching(ISO) },
    });
    const creditMicro = costOf({ inputTokens: 1234, outputTokens: 567 }, price);
    expect(creditMicro).toBeGreaterThan(0);
    expect(reply).toEqual({
      ...{ id: expect.stringMatching(UUID), sessionId: s.id, agentId: agent.id, userId: null, role: 'agent', status: 'complete' },
      ...{ content: 'Hello there', model: 'grok-3-mini', replyTo: message.id, createdAt: expect.stringMatching(ISO) },
      usage: { inputTokens: 1234, outputTokens: 567, creditMicro },
    });
    expect(await messagesOf(h, t, s.id)).toEqual([message, reply]);
    const after = expectSuccess<Session>(await h.http.get(`${API}/sessions/${s.id}`).set(t.auth));
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(s.updatedAt));
    expect(await expectLedgerConsistent(h, t)).toBe(before - creditMicro);
  });

  it("sends the system prompt, then the history oldest first (the answerer's own turns as assistant), the new message last", async () => {
    const t = await namedTenant('Dana');
    const alpha = await createAgent(h, t, { name: 'Alpha', model: 'grok-3', systemPrompt: 'You are Alpha.' });
    const bea = await createAgent(h, t, { name: 'Bea', model: 'grok-3-mini' });
    const s = await createSession(h, t, { agentIds: [alpha.id, bea.id] });
    await postMessage(h, t, s.id, { content: 'first' });
    await postMessage(h, t, s.id, { content: 'second', agentId: bea.slug });
    await postMessage(h, t, s.id, { content: 'third', agentId: alpha.slug });
    up.enqueue({ kind: 'reply', text: 'fourth answered' }, { kind: 'reply', text: 'fifth answered' });

    await chatted(t, s.id, { content: 'fourth', agentId: alpha.id });
    const [toAlpha] = up.requests;
    expect(toAlpha!.headers.authorization).toBe(`Bearer ${XAI_KEY}`);
    expect(toAlpha!.body).toMatchObject({ model: 'grok-3', stream: true, stream_options: { include_usage: true } });
    expect(toAlpha!.body.messages).toEqual([
      { role: 'system', content: 'You are Alpha.' },
      { role: 'user', content: 'Dana: first' },
      { role: 'user', content: 'Bea: second' },
      { role: 'assistant', content: 'third' },
      { role: 'user', content: 'Dana: fourth' },
    ]);
    // Bea answers next: now its own words are assistant turns and Alpha's carry Alpha's name; no system prompt.
    await chatted(t, s.id, { content: 'fifth', agentId: bea.slug });
    expect(up.requests[1]!.body.model).toBe('grok-3-mini');
    expect(up.requests[1]!.body.messages).toEqual([
      { role: 'user', content: 'Dana: first' },
      { role: 'assistant', content: 'second' },
      { role: 'user', content: 'Alpha: third' },
      { role: 'user', content: 'Dana: fourth' },
      { role: 'user', content: 'Alpha: fourth answered' },
      { role: 'user', content: 'Dana: fifth' },
    ]);
  });
});

describe("the model's context window (tiny: 2,048 tokens, a quarter kept for the answer)", () => {
  // Newest history first within the window; a prompt that cannot fit at all is refused before anything is stored.
  it('keeps the newest messages that fit, in their order, and drops the older ones', async () => {
    const t = await namedTenant('Dana');
    const { s } = await soloSession(t, 'tiny', { systemPrompt: 'Keep it short.' });
    const history = Array.from({ length: 30 }, (_, i) => `m${String(i).padStart(2, '0')} ${'x'.repeat(400)}`);
    for (const content of history) await postMessage(h, t, s.id, { content });
    await chatted(t, s.id, { content: 'latest?' });

    let budget = 2048 - 512 - tokens('Keep it short.') - tokens('Dana: latest?');
    const kept: string[] = [];
    for (const content of [...history].reverse()) {
      budget -= tokens(`Dana: ${content}`);
      if (budget < 0) break;
      kept.unshift(`Dana: ${content}`);
    }
    expect(kept.length).toBeGreaterThan(5);
    expect(kept.length).toBeLessThan(history.length);
    expect(up.requests[0]!.body.messages).toEqual([
      { role: 'system', content: 'Keep it short.' },
      ...kept.map((content) => ({ role: 'user', content })),
      { role: 'user', content: 'Dana: latest?' },
    ]);
  });

  it('answers 422 when the system prompt and the new message alone do not fit, storing nothing and calling no model', async () => {
    const t = await namedTenant('Dana');
    const { s } = await soloSession(t, 'tiny');
    // 1,536 tokens are free: 'Dana: ' and 6,122 characters is 1,532 + 4 exactly; one character more is over.
    await chatted(t, s.id, { content: 'x'.repeat(6_122) });
    const before = await storedState(h, t, s.id);
    expectInvalid(await chat(t, s.id, { content: 'x'.repeat(6_123) }), 'VALIDATION_ERROR', ['body.content']);
    expect(await storedState(h, t, s.id)).toEqual(before);

    const wordy = await soloSession(t, 'tiny', { systemPrompt: 'p'.repeat(6_200) });
    expectError(await chat(t, wordy.s.id, { content: 'hi' }), 'VALIDATION_ERROR');
    expect(await h.db.prisma.message.count({ where: { sessionId: wordy.s.id } })).toBe(0);
    expect(up.requests).toHaveLength(1);
  });
});

describe('the request body and the answering agent', () => {
  // Every refusal is the documented status, and none stores a message.
  it('refuses empty or 100,001-character content with 422, a missing content or an unknown field with 400', async () => {
    const t = await h.tenant();
    const { s } = await soloSession(t, 'grok-3-mini'); // a window wide enough for 100,000 characters
    const before = await storedState(h, t, s.id);
    expectInvalid(await chat(t, s.id, { content: '' }), 'VALIDATION_ERROR', ['body.content']);
    expectInvalid(await chat(t, s.id, { content: 'a'.repeat(100_001) }), 'VALIDATION_ERROR', ['body.content']);
    expectInvalid(await chat(t, s.id, { agentId: 'ala' }), 'BAD_REQUEST', ['body.content']);
    expectInvalid(await chat(t, s.id, { content: 'x', model: 'grok-3' }), 'BAD_REQUEST', ['body.model']);
    expect(await storedState(h, t, s.id)).toEqual(before);
    expect(up.requests).toHaveLength(0);
    expect((await chatted(t, s.id, { content: 'a'.repeat(100_000) })).message.content).toHaveLength(100_000);
  });

  it('needs agentId when two agents could answer (400), takes it by slug or UUID, and may omit it with one agent', async () => {
    const t = await h.tenant();
    const a = await createAgent(h, t, { name: 'Ann', model: 'alumia-local' });
    const b = await createAgent(h, t, { name: 'Ben', model: 'alumia-local' });
    const pair = await createSession(h, t, { agentIds: [a.id, b.id] });
    expectInvalid(await chat(t, pair.id, { content: 'who?' }), 'BAD_REQUEST', ['body.agentId']);
    expect(await h.db.prisma.message.count({ where: { sessionId: pair.id } })).toBe(0);
    expect((await chatted(t, pair.id, { content: 'you', agentId: a.slug })).reply.agentId).toBe(a.id);
    expect((await chatted(t, pair.id, { content: 'you', agentId: b.id })).reply.agentId).toBe(b.id);
    const solo = await createSession(h, t, { agentIds: [b.slug] });
    expect((await chatted(t, solo.id, { content: 'anyone?' })).reply.agentId).toBe(b.id);
  });

  it('refuses an agent that does not participate (400 body.agentId) and an inactive one (403)', async () => {
    const t = await h.tenant();
    const { agent, s } = await soloSession(t, 'alumia-local');
    const stranger = await createAgent(h, t, { name: 'Stranger', model: 'alumia-local' });
    const before = await storedState(h, t, s.id);
    expectInvalid(await chat(t, s.id, { content: 'x', agentId: stranger.slug }), 'BAD_REQUEST', ['body.agentId']);
    expectInvalid(await chat(t, s.id, { content: 'x', agentId: 'nobody-here' }), 'BAD_REQUEST', ['body.agentId']);
    expectSuccess(await h.http.patch(`${API}/agents/${agent.id}`).set(t.auth).send({ isActive: false }));
    expectError(await chat(t, s.id, { content: 'x', agentId: agent.id }), 'FORBIDDEN');
    expectError(await chat(t, s.id, { content: 'x' }), 'FORBIDDEN');
    expect(await storedState(h, t, s.id)).toEqual(before);
  });
});

describe('peer messages (fromAgentId)', () => {
  // An agent writes to one of its allowedPeers in a peer session; both agents see the exchange.
  let t: Tenant;
  let p: Agent; // may message q
  let q: Agent;
  let r: Agent; // may message nobody
  beforeAll(async () => {
    t = await h.tenant();
    q = await createAgent(h, t, { name: 'Quinn', model: 'alumia-local' });
    r = await createAgent(h, t, { name: 'Rae', model: 'alumia-local' });
    p = await createAgent(h, t, { name: 'Pat', model: 'alumia-local' });
    await h.db.prisma.agent.update({ where: { id: p.id }, data: { allowedPeerIds: [q.id] } });
  });

  it("stores the author's message (role agent, userId null) and the peer's reply, listed for both agents", async () => {
    const s = await createSession(h, t, { agentIds: [p.id, q.id], metadata: { relationship: 'peer' } });
    const { message, reply } = await chatted(t, s.id, { content: 'hello Quinn', fromAgentId: p.slug });
    expect(message).toMatchObject({ role: 'agent', agentId: p.id, userId: null, content: 'hello Quinn', model: null, replyTo: null });
    expect(reply).toMatchObject({ role: 'agent', agentId: q.id, userId: null, status: 'complete', replyTo: message.id });
    for (const agent of [p, q]) {
      const listed = await peerMessages(h, t, agent.id);
      const mine = (m: PeerMessage) => [m.id, m.isSelf];
      expect(listed.filter((m) => m.sessionId === s.id).map(mine)).toEqual([
        [reply.id, agent.id === q.id],
        [message.id, agent.id === p.id],
      ]);
      const sessions = expectSuccess<{ items: Session[] }>(await h.http.get(`${API}/agents/${agent.id}/sessions`).set(t.auth)).items;
      expect(sessions.map((x) => x.id)).toContain(s.id);
    }
  });

  it('refuses with 403 outside a peer session or to an agent not in allowedPeers, and with 400 an author answering itself', async () => {
    const plain = await createSession(h, t, { agentIds: [p.id, q.id] });
    const trio = await createSession(h, t, { agentIds: [p.id, q.id, r.id], metadata: { relationship: 'peer' } });
    const before = [await storedState(h, t, plain.id), await storedState(h, t, trio.id)];
    expectError(await chat(t, plain.id, { content: 'x', fromAgentId: p.slug, agentId: q.slug }), 'FORBIDDEN');
    expectError(await chat(t, trio.id, { content: 'x', fromAgentId: p.slug, agentId: r.slug }), 'FORBIDDEN');
    expectError(await chat(t, trio.id, { content: 'x', fromAgentId: q.id, agentId: p.id }), 'FORBIDDEN');
    expectInvalid(await chat(t, trio.id, { content: 'x', fromAgentId: p.slug, agentId: p.slug }), 'BAD_REQUEST', ['body.agentId']);
    expect([await storedState(h, t, plain.id), await storedState(h, t, trio.id)]).toEqual(before);
  });
});

describe('who may chat in a session', () => {
  // A session the caller cannot see is 404 however it is hidden; keys need sessions:write.
  it('answers 404 for an unknown, deleted, other-org or hidden session', async () => {
    const t = await h.tenant();
    const { s } = await soloSession(t, 'alumia-local');
    const gone = await soloSession(t, 'alumia-local');
    await deleteSession(h, t, gone.s.id);
    const other = await h.tenant();
    const foreign = await soloSession(other, 'alumia-local');
    const member = await h.colleague(t, { role: 'member' }); // in a workspace of their own
    expectError(await chat(t, randomUUID(), { content: 'x' }), 'NOT_FOUND');
    expectError(await chat(t, gone.s.id, { content: 'x' }), 'NOT_FOUND');
    expectError(await chat(t, foreign.s.id, { content: 'x' }), 'NOT_FOUND');
    expectError(await chat(member, s.id, { content: 'x' }), 'NOT_FOUND');
    for (const id of [s.id, gone.s.id, foreign.s.id]) expect(await h.db.prisma.message.count({ where: { sessionId: id } })).toBe(0);
  });

  it('answers 401 without a key and 403 with a key lacking sessions:write', async () => {
    const t = await h.tenant();
    const { s } = await soloSession(t, 'alumia-local');
    expectError(await h.http.post(chatPath(s.id)).send({ content: 'x' }), 'UNAUTHORIZED');
    const readOnly = await h.keyWithScopes(t, ['sessions:read']);
    expectError(await h.http.post(chatPath(s.id)).set('Authorization', `Bearer ${readOnly}`).send({ content: 'x' }), 'FORBIDDEN');
    expect(await h.db.prisma.message.count({ where: { sessionId: s.id } })).toBe(0);
  });
});

describe('credits', () => {
  // Paid models need a positive balance and debit exactly the reply's cost; free ones never debit.
  it('refuses a paid model with 402 at a zero or negative balance, without calling it; a free model still answers', async () => {
    const t = await h.tenant();
    const { s } = await soloSession(t, 'grok-3');
    await drainCredits(h, t.orgId);
    const before = await storedState(h, t, s.id);
    expect(before.balance).toBe(0);
    expectError(await chat(t, s.id, { content: 'x' }), 'PAYMENT_REQUIRED');
    const free = await soloSession(t, 'alumia-local');
    expect((await chatted(t, free.s.id, { content: 'free?' })).reply.usage).toMatchObject({ creditMicro: 0 });
    await drainCredits(h, t.orgId, 5n);
    expectError(await chat(t, s.id, { content: 'x' }), 'PAYMENT_REQUIRED');
    expect(up.requests).toHaveLength(0);
    expect(await storedState(h, t, s.id)).toEqual({ ...before, balance: -5, ledger: before.ledger + 1 });
    expect(await expectLedgerConsistent(h, t)).toBe(-5);
  });

  it('debits each paid reply by exactly its creditMicro, one ledger row per reply', async () => {
    const t = await h.tenant();
    const { s } = await soloSession(t, 'grok-3');
    const price = await modelOf(h, t, 'grok-3');
    const start = await expectLedgerConsistent(h, t);
    up.enqueue(
      { kind: 'reply', text: 'one', usage: { prompt_tokens: 1000, completion_tokens: 333 } },
      { kind: 'reply', text: 'two', usage: { prompt_tokens: 7, completion_tokens: 1 } },
    );
    const one = (await chatted(t, s.id, { content: 'a' })).reply;
    const two = (await chatted(t, s.id, { content: 'b' })).reply;
    expect(one.usage).toEqual({
      inputTokens: 1000,
      outputTokens: 333,
      creditMicro: costOf({ inputTokens: 1000, outputTokens: 333 }, price),
    });
    expect(two.usage).toEqual({ inputTokens: 7, outputTokens: 1, creditMicro: costOf({ inputTokens: 7, outputTokens: 1 }, price) });
    expect(await expectLedgerConsistent(h, t)).toBe(start - one.usage!.creditMicro - two.usage!.creditMicro);
    const debits = await h.db.prisma.creditLedger.findMany({ where: { orgId: t.orgId, kind: 'debit' }, orderBy: { createdAt: 'asc' } });
    expect(debits.map((d) => [d.messageId, Number(d.amountMicro)])).toEqual([
      [one.id, -one.usage!.creditMicro],
      [two.id, -two.usage!.creditMicro],
    ]);
  });

  it('alumia-local answers the same message alike in two fresh sessions, reports usage and costs nothing', async () => {
    const t = await h.tenant();
    const first = await soloSession(t, 'alumia-local');
    const second = await soloSession(t, 'alumia-local');
    const before = await expectLedgerConsistent(h, t);
    const a = (await chatted(t, first.s.id, { content: 'ping' })).reply;
    const b = (await chatted(t, second.s.id, { content: 'ping' })).reply;
    expect(a.content).toContain('ping');
    expect(b.content).toBe(a.content);
    expect(a).toMatchObject({ model: 'alumia-local', status: 'complete' });
    expect(a.usage!.inputTokens).toBeGreaterThan(0);
    expect(a.usage!.outputTokens).toBeGreaterThan(0);
    expect(a.usage!.creditMicro).toBe(0);
    expect(await expectLedgerConsistent(h, t)).toBe(before);
    expect(await h.db.prisma.creditLedger.count({ where: { orgId: t.orgId, kind: 'debit' } })).toBe(0);
    expect(up.requests).toHaveLength(0);
  });
});

describe('models and providers', () => {
  // A model whose provider has no key is listed unavailable and refused with 503 naming the variable.
  it('answers 503 naming OPENAI_API_KEY for an agent on gpt-4.1 without that key, storing nothing', async () => {
    const t = await h.tenant();
    const { s } = await soloSession(t, 'gpt-4.1');
    const before = await storedState(h, t, s.id);
    const res = await chat(t, s.id, { content: 'x' });
    expect(expectError(res, 'SERVICE_UNAVAILABLE').message).toContain('OPENAI_API_KEY');
    expect(await storedState(h, t, s.id)).toEqual(before);
  });

  it('lists gpt-4.1 unavailable, the xai models available, and alumia-local available and free', async () => {
    const t = await h.tenant();
    const pick = ({ available, inputCreditMicroPerMTok, outputCreditMicroPerMTok }: Model) => ({
      available,
      prices: [inputCreditMicroPerMTok, outputCreditMicroPerMTok],
    });
    expect((await modelOf(h, t, 'gpt-4.1')).available).toBe(false);
    expect((await modelOf(h, t, 'grok-3')).available).toBe(true);
    expect((await modelOf(h, t, 'grok-3-mini')).available).toBe(true);
    expect(pick(await modelOf(h, t, 'alumia-local'))).toEqual({ available: true, prices: [0, 0] });
    expect(pick(await modelOf(h, t, 'tiny'))).toEqual({ available: true, prices: [0, 0] });
  });
});

describe('Idempotency-Key', () => {
  // A retry is answered from the stored answer: the model runs once and the org pays once.
  it('replays the same answer to a retried chat: one model call, one debit, one stored exchange', async () => {
    const t = await h.tenant();
    const { s } = await soloSession(t, 'grok-3');
    const start = await balanceOf(h, t.orgId);
    up.enqueue({ kind: 'reply', text: 'only once', usage: { prompt_tokens: 10, completion_tokens: 3 } });
    const key = { 'Idempotency-Key': uniq('chat') };
    const first = await chat(t, s.id, { content: 'once?' }, key);
    const { reply } = expectSuccess<ChatResult>(first, 201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await chat(t, s.id, { content: 'once?' }, key);
    expect(expectSuccess(again, 201)).toEqual(first.body.data);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(up.requests).toHaveLength(1);
    expect(await h.db.prisma.message.count({ where: { sessionId: s.id } })).toBe(2);
    expect(await expectLedgerConsistent(h, t)).toBe(start - reply.usage!.creditMicro);
  });
});
