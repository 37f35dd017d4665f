import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message, Session } from '../generated/sdk/types.gen.js';
import {
  balanceOf,
  costOf,
  drainCredits,
  eventsOf,
  eventually,
  expectLedgerConsistent,
  messagesOf,
  modelOf,
  openChat,
  RELAXED,
  upstreamEnv,
  XAI_KEY,
  type SseFrame,
} from './helpers/chat.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API, createAgent, createSession } from './helpers/fixtures.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { listen, type Served } from './helpers/live-http.js';
import { startUpstream, type Behavior, type Upstream } from './helpers/upstream.js';

// Streamed chats on a real socket. `main` waits long for the model; the same app as `fast` has both model
// timeouts at 300 ms, as `idle` only the idle one, so only the timeout a test is about can fire.

let h: Harness;
let up: Upstream;
let main: Served;
let fast: Served;
let idle: Served;
beforeAll(async () => {
  up = await startUpstream();
  h = await startHarness(upstreamEnv(up, RELAXED));
  main = await listen(h.app);
  fast = await listen((await h.rebuild({ MODEL_TIMEOUT_MS: '300', MODEL_IDLE_TIMEOUT_MS: '300' })).app);
  idle = await listen((await h.rebuild({ MODEL_IDLE_TIMEOUT_MS: '300' })).app);
});
afterEach(() => up.reset());
afterAll(async () => {
  await main?.close();
  await fast?.close();
  await idle?.close();
  await h?.close();
  await up?.close();
});

/** A tenant called Dana with a session of one agent on `model`. */
async function setup(model = 'grok-3') {
  const t = await h.tenant();
  await h.db.prisma.user.update({ where: { id: t.userId }, data: { name: 'Dana' } });
  const agent = await createAgent(h, t, { name: uniq('Streamer'), model });
  return { t, agent, s: await createSession(h, t, { agentIds: [agent.id] }) };
}
/** A streamed chat on `server`, read to its end. */
async function streamed(server: Served, t: Tenant, s: Session, body: object, headers?: Record<string, string>) {
  const live = await openChat(server.port, t.key, s.id, body, headers);
  const answer = await live.finished;
  return { ...answer, frames: live.frames, events: eventsOf(live.frames) };
}
const names = (events: SseFrame[]) => events.map((e) => e.event);
const deltas = (events: SseFrame[]) => events.filter((e) => e.event === 'delta').map((e) => e.data.text as string);

describe('a streamed chat', () => {
  // The events, their order and their content are exactly the stored exchange.
  it('sends message, one delta per model chunk, the stored reply, then done', async () => {
    const { t, agent, s } = await setup();
    const price = await modelOf(h, t, 'grok-3');
    const start = await balanceOf(h, t.orgId);
    up.enqueue({ kind: 'reply', chunks: ['One ', 'two ', 'three'], usage: { prompt_tokens: 50, completion_tokens: 3 } });
    const { status, headers, events } = await streamed(main, t, s, { content: 'count', stream: true }, {});
    expect(status).toBe(200);
    expect(headers['content-type']).toMatch(/^text\/event-stream/);
    expect(names(events)).toEqual(['message', 'delta', 'delta', 'delta', 'reply', 'done']);
    expect(deltas(events)).toEqual(['One ', 'two ', 'three']);
    const [message, , , , reply, done] = events.map((e) => e.data);
    expect(message).toMatchObject({ role: 'user', userId: t.userId, content: 'count', status: 'complete', replyTo: null });
    const usage = { inputTokens: 50, outputTokens: 3, creditMicro: costOf({ inputTokens: 50, outputTokens: 3 }, price) };
    expect(reply).toMatchObject({
      agentId: agent.id,
      status: 'complete',
      content: 'One two three',
      model: 'grok-3',
      replyTo: message.id,
      usage,
    });
    expect(done).toEqual({});
    expect(await messagesOf(h, t, s.id)).toEqual([message, reply]);
    expect(await expectLedgerConsistent(h, t)).toBe(start - usage.creditMicro);
  });

  it('streams for Accept: text/event-stream without stream, and answers JSON for stream: false', async () => {
    const { t, s } = await setup('alumia-local');
    const byAccept = await streamed(main, t, s, { content: 'a' });
    expect(byAccept.headers['content-type']).toMatch(/^text\/event-stream/);
    const n = deltas(byAccept.events).length;
    expect(n).toBeGreaterThan(0);
    expect(names(byAccept.events)).toEqual(['message', ...Array<string>(n).fill('delta'), 'reply', 'done']);
    const json = await streamed(main, t, s, { content: 'b', stream: false });
    expect(expectSuccess(json, 201)).toMatchObject({ message: { content: 'b' }, reply: { status: 'complete' } });
    const plain = await streamed(main, t, s, { content: 'c' }, { Accept: 'application/json' });
    expect(expectSuccess(plain, 201).message.content).toBe('c');
  });

  it('sends and stores the message before the model answers', async () => {
    const { t, s } = await setup();
    up.enqueue({ kind: 'reply', chunks: ['late'], firstDelayMs: 500 });
    const live = await openChat(main.port, t.key, s.id, { content: 'slow?', stream: true });
    const first = await live.waitFor((f) => f.event !== undefined);
    expect(first.event).toBe('message');
    expect(live.ended).toBe(false);
    expect(await messagesOf(h, t, s.id)).toEqual([first.data]);
    await live.finished;
    expect(names(eventsOf(live.frames))).toEqual(['message', 'delta', 'reply', 'done']);
  });

  it('sends keep-alive comments while the model is silent', async () => {
    const { t, s } = await setup();
    up.enqueue({ kind: 'reply', chunks: ['finally'], firstDelayMs: 450 });
    const { frames } = await streamed(main, t, s, { content: 'wait', stream: true });
    const firstDelta = frames.findIndex((f) => f.event === 'delta');
    const silent = frames.slice(frames.findIndex((f) => f.event === 'message') + 1, firstDelta);
    expect(silent.length).toBeGreaterThanOrEqual(2);
    expect(silent).toEqual(silent.map(() => ({ comment: ' keep-alive' })));
  });
});

describe('refusals before the stream', () => {
  // Whatever can be refused before the model is called is a JSON error envelope, never an event stream.
  it('answers 401, 404, 400, 402, 422, 403 and an unconfigured provider 503 as JSON errors', async () => {
    const { t, s } = await setup();
    const ask = async (session: Session, body: object, who: Tenant = t) => streamed(main, who, session, { stream: true, ...body });
    const two = await createSession(h, t, { agentIds: [(await createAgent(h, t, { name: 'Other', model: 'grok-3' })).id, s.agentIds[0]!] });
    expectError(await streamed(main, { ...t, key: 'not-a-key' }, s, { content: 'x', stream: true }), 'UNAUTHORIZED');
    expectError(await ask({ ...s, id: randomUUID() }, { content: 'x' }), 'NOT_FOUND');
    expectError(await ask(two, { content: 'x' }), 'BAD_REQUEST');
    expectError(await ask(s, { content: '' }), 'VALIDATION_ERROR');
    const gpt = await setup('gpt-4.1');
    expect(expectError(await ask(gpt.s, { content: 'x' }, gpt.t), 'SERVICE_UNAVAILABLE').message).toContain('OPENAI_API_KEY');
    expectSuccess(await h.http.patch(`${API}/agents/${s.agentIds[0]}`).set(t.auth).send({ isActive: false }));
    expectError(await ask(s, { content: 'x' }), 'FORBIDDEN');
    const broke = await setup();
    await drainCredits(h, broke.t.orgId);
    expectError(await ask(broke.s, { content: 'x' }, broke.t), 'PAYMENT_REQUIRED');
    expect(await h.db.prisma.message.count({ where: { sessionId: { in: [s.id, two.id, gpt.s.id, broke.s.id] } } })).toBe(0);
    expect(up.requests).toHaveLength(0);
  });
});

describe('a provider that fails after the stream started', () => {
  // error (SERVICE_UNAVAILABLE), then done; what arrived (possibly nothing) is stored as incomplete and
  // debited as estimated.
  const cases: Array<{ name: string; behavior: Behavior; received: string[]; status: Message['status']; on?: () => Served }> = [
    {
      name: 'resets the connection mid-stream',
      behavior: { kind: 'stop-mid-stream', chunks: ['Half ', 'a '], then: 'reset' },
      received: ['Half ', 'a '],
      status: 'incomplete',
    },
    {
      name: 'stalls past MODEL_IDLE_TIMEOUT_MS',
      behavior: { kind: 'reply', chunks: ['so', ' far', ' more'], gapMs: 1_000 },
      received: ['so'],
      status: 'incomplete',
      on: () => idle,
    },
    { name: 'answers 500', behavior: { kind: 'status', status: 500 }, received: [], status: 'incomplete' },
    {
      name: 'sends no first token within MODEL_TIMEOUT_MS',
      behavior: { kind: 'hang' },
      received: [],
      status: 'incomplete',
      on: () => fast,
    },
  ];

  it.each(cases)('when it $name', async ({ behavior, received, status, on }) => {
    const { t, s } = await setup();
    const price = await modelOf(h, t, 'grok-3');
    const start = await balanceOf(h, t.orgId);
    up.enqueue(behavior);
    const { events } = await streamed(on?.() ?? main, t, s, { content: 'tell me', stream: true });
    expect(names(events)).toEqual(['message', ...received.map(() => 'delta'), 'error', 'done']);
    expect(deltas(events)).toEqual(received);
    const error = events.at(-2)!.data;
    expect(error).toEqual({ code: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/\bxai\b/) });
    expect(error.message).not.toContain(XAI_KEY);

    const [message, reply] = await messagesOf(h, t, s.id);
    expect(message).toEqual(events[0]!.data);
    expect(reply).toMatchObject({ status, content: received.join(''), model: 'grok-3', replyTo: message!.id });
    const { inputTokens, outputTokens, creditMicro } = reply!.usage!;
    expect(creditMicro).toBe(costOf({ inputTokens, outputTokens }, price));
    if (received.length > 0) {
      // Estimated at 4 characters a token (plus at most the 4 per message the window counts).
      const out = Math.ceil(received.join('').length / 4);
      expect(outputTokens).toBeGreaterThanOrEqual(out);
      expect(outputTokens).toBeLessThanOrEqual(out + 4);
      const sent: Array<{ content: string }> = up.requests[0]!.body.messages;
      expect(inputTokens).toBeGreaterThanOrEqual(Math.ceil(sent.reduce((n, m) => n + m.content.length, 0) / 4));
      expect(creditMicro).toBeGreaterThan(0);
    }
    expect(await expectLedgerConsistent(h, t)).toBe(start - creditMicro);
  });

  it('stores a refusal of the request (an upstream 400) as a failed reply, with VALIDATION_ERROR, and debits nothing', async () => {
    const { t, s } = await setup();
    const start = await balanceOf(h, t.orgId);
    up.enqueue({ kind: 'status', status: 400, body: { error: { message: 'Unsupported parameter' } } });
    const { events } = await streamed(main, t, s, { content: 'refuse me', stream: true });
    expect(names(events)).toEqual(['message', 'error', 'done']);
    expect(events[1]!.data).toEqual({ code: 'VALIDATION_ERROR', message: expect.stringContaining('Unsupported parameter') });
    const [, reply] = await messagesOf(h, t, s.id);
    expect(reply).toMatchObject({ status: 'failed', content: '', usage: { inputTokens: 0, outputTokens: 0, creditMicro: 0 } });
    expect(await expectLedgerConsistent(h, t)).toBe(start);
  });

  it('leaves a reply without text out of the next prompt', async () => {
    const { t, s } = await setup();
    up.enqueue({ kind: 'hang' }, { kind: 'reply', text: 'here now' });
    await streamed(fast, t, s, { content: 'first', stream: true });
    await streamed(main, t, s, { content: 'second', stream: false });
    expect(up.requests[1]!.body.messages).toEqual([
      { role: 'user', content: 'Dana: first' },
      { role: 'user', content: 'Dana: second' },
    ]);
  });
});

describe('a client that disconnects mid-stream', () => {
  // The model request is cancelled within a second, and what arrived is kept as an incomplete reply.
  it('cancels the provider request and stores the partial reply as incomplete', async () => {
    const { t, s } = await setup();
    const start = await balanceOf(h, t.orgId);
    up.enqueue({ kind: 'reply', chunks: ['first ', 'second ', 'third'], gapMs: 3_000 });
    const live = await openChat(main.port, t.key, s.id, { content: 'go on', stream: true });
    await live.waitFor((f) => f.event === 'delta');
    const left = Date.now();
    live.destroy();
    await up.waitForAborts(1, 1_000);
    expect(up.requests[0]!.abortedAt! - left).toBeLessThan(1_000);
    const find = () => h.db.prisma.message.findFirst({ where: { sessionId: s.id, replyToId: { not: null } } });
    const reply = await eventually(find, (r) => r !== null);
    expect(reply).toMatchObject({ status: 'incomplete', content: 'first ', model: 'grok-3' });
    expect(reply!.creditMicro).toBeGreaterThan(0n); // estimated: the provider never reported usage
    expect(await expectLedgerConsistent(h, t)).toBe(start - Number(reply!.creditMicro));
    const debit = await h.db.prisma.creditLedger.findUniqueOrThrow({ where: { messageId: reply!.id } });
    expect(debit.amountMicro).toBe(-reply!.creditMicro!);
  });
});

describe('Idempotency-Key on a stream', () => {
  // The retry replays the stored exchange as events, with the reply's text in one delta; the model runs once.
  it('replays message, one delta with the whole text, reply and done, with Idempotent-Replayed', async () => {
    const { t, s } = await setup();
    up.enqueue({ kind: 'reply', chunks: ['a', 'b', 'c'] });
    const key = { Accept: 'text/event-stream', 'Idempotency-Key': uniq('stream') };
    const first = await streamed(main, t, s, { content: 'abc?', stream: true }, key);
    expect(names(first.events)).toEqual(['message', 'delta', 'delta', 'delta', 'reply', 'done']);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await streamed(main, t, s, { content: 'abc?', stream: true }, key);
    expect(again.status).toBe(200);
    expect(again.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.events).toEqual([first.events[0], { event: 'delta', data: { text: 'abc' } }, first.events[4], first.events[5]]);
    expect(up.requests).toHaveLength(1);
    expect(await h.db.prisma.message.count({ where: { sessionId: s.id } })).toBe(2);
  });
});
