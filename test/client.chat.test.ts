import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type AlumiaClient, type ChatStreamEvent, type ClientOptions } from '../client/src/index.js';
import { CreditStore } from '../server/data/credits.js';
import { alumiaError } from './helpers/client-errors.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { flakyProxy, listen, type FlakyProxy, type Served } from './helpers/live-http.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

// Chat and billing through the typed client, against the real server on real HTTP. Agents on
// `alumia-local` need nothing else; agents on `gpt-4.1-mini` (a paid model) talk to a fake OpenAI-compatible
// upstream (test/helpers/upstream.ts) that paces its chunks and records when the server's request to it
// was cut off, which is how these tests see that the client closed its connection.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PAID = 'gpt-4.1-mini';

let h: Harness;
let server: Served;
let proxy: FlakyProxy;
let up: Upstream;
beforeAll(async () => {
  up = await startUpstream();
  // A keep-alive comment every 100 ms, so a silent model still sends something the client must skip.
  h = await startHarness({ OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: up.baseURL, SSE_KEEPALIVE_MS: '100' });
  server = await listen(h.app);
  proxy = await flakyProxy(server.url);
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
  await h?.close();
  await up?.close();
});
afterEach(() => up.reset());

const clientFor = (t: Tenant, options: ClientOptions = {}) =>
  createClient({ apiKey: t.key, baseUrl: server.url, retries: { baseDelayMs: 1 }, ...options });

const fund = (t: Tenant, micro: bigint) => new CreditStore(h.db.prisma).grant(t.orgSlug, micro, 'test');

/** A new organization, its client, and a direct session with one new agent on `model`. */
async function setup(model = 'alumia-local') {
  const t = await h.tenant();
  const client = clientFor(t);
  const agent = await client.agents.create({ name: uniq('Helper'), model });
  const session = await client.sessions.create({ agentIds: [agent.id], metadata: { relationship: 'direct' } });
  return { t, client, agent, session };
}

async function collect(stream: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const names = (events: ChatStreamEvent[]) => events.map((e) => e.event);
const texts = (events: ChatStreamEvent[]) => events.flatMap((e) => (e.event === 'delta' ? [e.data.text] : []));
/** What alumia-local answers: a fixed sentence that quotes the last turn (which the server prefixes with its author). */
const localReply = (content: string) =>
  new RegExp(
    `^This is alumia-local, a stand-in that runs inside the server, not a language model\\. The last turn it was sent reads: .*${content}$`,
  );

describe('sessions.chat', () => {
  it('returns the stored message and the stored reply, which the session then holds', async () => {
    const { t, client, agent, session } = await setup();
    const { message, reply } = await client.sessions.chat(session.id, { content: 'hello there' });
    expect(message).toMatchObject({ sessionId: session.id, role: 'user', userId: t.userId, agentId: null, content: 'hello there' });
    expect(message).toMatchObject({ status: 'complete', model: null, usage: null, replyTo: null });
    expect(reply).toMatchObject({ sessionId: session.id, role: 'agent', agentId: agent.id, userId: null, status: 'complete' });
    expect(reply).toMatchObject({ model: 'alumia-local', replyTo: message.id, content: expect.stringMatching(localReply('hello there')) });
    expect(reply.usage).toEqual({ inputTokens: expect.any(Number), outputTokens: expect.any(Number), creditMicro: 0 });
    expect(await client.sessions.messages(session.id).toArray()).toEqual([message, reply]);
  });

  it('sends idempotencyKey, so it is retried after a 503 and stores one message and one reply', async () => {
    const { t, session } = await setup();
    const viaProxy = createClient({ apiKey: t.key, baseUrl: proxy.url, retries: { max: 2, baseDelayMs: 1 } });
    const key = randomUUID();
    proxy.failNext(1, { kind: 'status', status: 503, retryAfter: '0' });
    const { reply } = await viaProxy.sessions.chat(session.id, { content: 'once' }, { idempotencyKey: key });
    expect(proxy.seen.map((r) => `${r.outcome} ${r.idempotencyKey}`)).toEqual([`status ${key}`, `forwarded ${key}`]);
    // The same key again replays the stored answer instead of chatting twice.
    expect((await viaProxy.sessions.chat(session.id, { content: 'once' }, { idempotencyKey: key })).reply).toEqual(reply);
    expect(await clientFor(t).sessions.messages(session.id).toArray()).toHaveLength(2);
  });
});

describe('sessions.chatStream', () => {
  it('yields message, two or more deltas that join to the reply, reply and done, in that order', async () => {
    const { client, agent, session } = await setup();
    const stream = client.sessions.chatStream(session.id, { content: 'stream me', agentId: agent.slug });
    expect(stream.requestId).toBeUndefined(); // nothing is sent before iteration starts
    const events = await collect(stream);
    expect(stream.requestId).toMatch(UUID);

    const deltas = texts(events);
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    expect(names(events)).toEqual(['message', ...deltas.map(() => 'delta'), 'reply', 'done']);
    const [first, reply] = [events[0], events.at(-2)];
    if (first?.event !== 'message' || reply?.event !== 'reply') throw new Error('expected message first and reply before done');
    expect(first.data).toMatchObject({ role: 'user', content: 'stream me', sessionId: session.id });
    expect(reply.data).toMatchObject({ role: 'agent', agentId: agent.id, replyTo: first.data.id, status: 'complete' });
    expect(deltas.join('')).toBe(reply.data.content);
    expect(reply.data.content).toMatch(localReply('stream me'));
    expect(events.at(-1)).toEqual({ event: 'done', data: {} });
    expect((await client.sessions.messages(session.id).toArray()).map((m) => m.id)).toEqual([first.data.id, reply.data.id]);
  });

  it('with idempotencyKey, a repeat replays the stored message and reply (one delta) instead of chatting again', async () => {
    const { client, session } = await setup();
    const key = randomUUID();
    const first = await collect(client.sessions.chatStream(session.id, { content: 'replay me' }, { idempotencyKey: key }));
    const again = await collect(client.sessions.chatStream(session.id, { content: 'replay me' }, { idempotencyKey: key }));
    expect(names(again)).toEqual(['message', 'delta', 'reply', 'done']);
    expect(again[0]).toEqual(first[0]);
    expect(again[2]).toEqual(first.at(-2));
    expect(texts(again)).toEqual([texts(first).join('')]);
    expect(await client.sessions.messages(session.id).toArray()).toHaveLength(2);
  });

  it('skips keep-alive comments: they arrive while the model is silent, reset the idle limit, and yield nothing', async () => {
    const { t, session } = await setup(PAID);
    await fund(t, 10_000_000n);
    // 2.5 s of silence before the first token, a keep-alive every 100 ms, and an idle limit of 1 s.
    up.enqueue({ kind: 'reply', chunks: ['Slow ', 'answer'], firstDelayMs: 2_500, gapMs: 20 });
    const events = await collect(clientFor(t, { timeoutMs: 1_000 }).sessions.chatStream(session.id, { content: 'hi' }));
    expect(names(events)).toEqual(['message', 'delta', 'delta', 'reply', 'done']);
    expect(texts(events)).toEqual(['Slow ', 'answer']);
  });

  it('fails with TIMEOUT when nothing at all arrives within timeoutMs, and closes the connection', async () => {
    const { t, session } = await setup(PAID);
    await fund(t, 10_000_000n);
    // Another app on the same database, with keep-alives too rare to help.
    const quiet = await h.rebuild({ SSE_KEEPALIVE_MS: '15000' });
    const quietServer = await listen(quiet.app);
    try {
      up.enqueue({ kind: 'reply', chunks: ['late'], firstDelayMs: 5_000 });
      const client = createClient({ apiKey: t.key, baseUrl: quietServer.url, timeoutMs: 1_500 });
      const seen: string[] = [];
      const error = await alumiaError(async () => {
        for await (const event of client.sessions.chatStream(session.id, { content: 'hello?' })) seen.push(event.event);
      });
      expect(error).toMatchObject({ code: 'TIMEOUT', status: 0, requestId: expect.stringMatching(UUID) });
      expect(error.message).toContain('nothing arrived for 1500 ms');
      expect(seen).toEqual(['message']);
      await up.waitForAborts(1);
    } finally {
      await quietServer.close();
    }
  });

  it('stops with ABORTED when the signal aborts mid-stream, yielding nothing more', async () => {
    const { client, session } = await setup();
    const controller = new AbortController();
    const seen: string[] = [];
    const error = await alumiaError(async () => {
      for await (const event of client.sessions.chatStream(session.id, { content: 'cut me off' }, { signal: controller.signal })) {
        seen.push(event.event);
        if (event.event === 'delta') controller.abort();
      }
    });
    expect(error).toMatchObject({ code: 'ABORTED', status: 0, fromServer: false });
    expect(seen).toEqual(['message', 'delta']);
  });

  it('closes the connection on abort: the server cancels the model request and stores what arrived as incomplete', async () => {
    const { t, client, session } = await setup(PAID);
    await fund(t, 10_000_000n);
    up.enqueue({ kind: 'reply', chunks: ['one ', 'two ', 'three ', 'four'], gapMs: 400 });
    const controller = new AbortController();
    const error = await alumiaError(async () => {
      for await (const event of client.sessions.chatStream(session.id, { content: 'count' }, { signal: controller.signal }))
        if (event.event === 'delta') controller.abort();
    });
    expect(error.code).toBe('ABORTED');
    await up.waitForAborts(1);
    await expect
      .poll(async () => (await client.sessions.messages(session.id).toArray()).map((m) => `${m.role} ${m.status} ${m.content}`))
      .toEqual(['user complete count', 'agent incomplete one ']);
  });

  it('closes the connection when the loop is left early (break), without an error', async () => {
    const { t, client, session } = await setup(PAID);
    await fund(t, 10_000_000n);
    up.enqueue({ kind: 'reply', chunks: ['a ', 'b ', 'c'], gapMs: 400 });
    const seen: string[] = [];
    for await (const event of client.sessions.chatStream(session.id, { content: 'go' })) {
      seen.push(event.event);
      if (event.event === 'delta') break;
    }
    expect(seen).toEqual(['message', 'delta']);
    await up.waitForAborts(1);
  });

  it('does not send anything when the signal is already aborted', async () => {
    const { t, session } = await setup();
    const viaProxy = createClient({ apiKey: t.key, baseUrl: proxy.url });
    proxy.failNext(0, { kind: 'reset' });
    const error = await alumiaError(() =>
      collect(viaProxy.sessions.chatStream(session.id, { content: 'x' }, { signal: AbortSignal.abort() })),
    );
    expect(error.code).toBe('ABORTED');
    expect(proxy.seen).toEqual([]);
  });

  it('yields an error event when the model fails mid-stream, then done, and ends without throwing', async () => {
    const { t, client, session } = await setup(PAID);
    await fund(t, 10_000_000n);
    up.enqueue({ kind: 'stop-mid-stream', chunks: ['partial '], then: 'reset' });
    const events = await collect(client.sessions.chatStream(session.id, { content: 'fail please' }));
    expect(names(events)).toEqual(['message', 'delta', 'error', 'done']);
    expect(events[2]).toEqual({ event: 'error', data: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) } });
  });

  it('is never retried, even with idempotencyKey and retries set: a 503 before the stream is thrown after one attempt', async () => {
    const { t, session } = await setup();
    const viaProxy = createClient({ apiKey: t.key, baseUrl: proxy.url, retries: { max: 5, baseDelayMs: 1 } });
    proxy.failNext(1, { kind: 'status', status: 503, retryAfter: '0' });
    const error = await alumiaError(() =>
      collect(viaProxy.sessions.chatStream(session.id, { content: 'x' }, { idempotencyKey: randomUUID() })),
    );
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, retryAfterMs: 0, requestId: 'proxy-1' });
    expect(proxy.seen).toHaveLength(1);
  });
});

describe('refusals before the stream throw the AlumiaError of any other method', () => {
  const both = [
    [
      'chat',
      (c: AlumiaClient, id: string, content: string, agentId?: string) => c.sessions.chat(id, { content, ...(agentId && { agentId }) }),
    ],
    [
      'chatStream',
      (c: AlumiaClient, id: string, content: string, agentId?: string) =>
        collect(c.sessions.chatStream(id, { content, ...(agentId && { agentId }) })),
    ],
  ] as const;

  it.each(both)('%s: 404 NOT_FOUND for a session the caller cannot see', async (_name, call) => {
    const { client } = await setup();
    const other = await setup();
    for (const id of [randomUUID(), other.session.id]) {
      const error = await alumiaError(() => call(client, id, 'hello'));
      expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404, requestId: expect.stringMatching(UUID) });
    }
  });

  it.each(both)('%s: 422 VALIDATION_ERROR naming body.content for an empty message, and nothing stored', async (_name, call) => {
    const { client, session } = await setup();
    const error = await alumiaError(() => call(client, session.id, ''));
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', status: 422 });
    expect(error.details.map((d) => d.path)).toEqual(['body.content']);
    expect(await client.sessions.messages(session.id).toArray()).toEqual([]);
  });

  it.each(both)('%s: 400 BAD_REQUEST for an agent that does not take part', async (_name, call) => {
    const { client, session } = await setup();
    const error = await alumiaError(() => call(client, session.id, 'hello', 'ala'));
    expect(error).toMatchObject({ code: 'BAD_REQUEST', status: 400 });
    expect(error.details.map((d) => d.path)).toEqual(['body.agentId']);
  });

  it.each(both)('%s: 402 PAYMENT_REQUIRED on a paid model at a balance of zero', async (_name, call) => {
    const { client, session } = await setup(PAID);
    const error = await alumiaError(() => call(client, session.id, 'hello'));
    expect(error).toMatchObject({ code: 'PAYMENT_REQUIRED', status: 402 });
    expect(up.requests).toEqual([]);
  });
});

describe('answers that are not the event stream the API sends', () => {
  const fake = async (answer: (res: ServerResponse) => void) => listen((_req, res) => answer(res));
  const chatOn = async (served: Served) =>
    collect(createClient({ apiKey: 'alm_test_x', baseUrl: served.url }).sessions.chatStream(randomUUID(), { content: 'x' }));
  const sse = (res: ServerResponse) => res.writeHead(200, { 'Content-Type': 'text/event-stream', 'X-Request-Id': 'fake-1' });
  const message = JSON.stringify({ id: randomUUID(), content: 'x' });

  it('skips comments and events of unknown names', async () => {
    const served = await fake((res) => {
      sse(res);
      res.end(`: keep-alive\n\nevent: message\ndata: ${message}\n\nevent: future\ndata: {}\n\n: keep-alive\n\nevent: done\ndata: {}\n\n`);
    });
    try {
      expect(names(await chatOn(served))).toEqual(['message', 'done']);
    } finally {
      await served.close();
    }
  });

  it('stops with ABORTED on abort even when the rest of the stream has already arrived', async () => {
    const delta = (text: string) => `event: delta\ndata: ${JSON.stringify({ text })}\n\n`;
    const served = await fake((res) => {
      sse(res);
      res.end(`event: message\ndata: ${message}\n\n${delta('a')}${delta('b')}${delta('c')}event: done\ndata: {}\n\n`);
    });
    try {
      const controller = new AbortController();
      const client = createClient({ apiKey: 'alm_test_x', baseUrl: served.url });
      const seen: string[] = [];
      const error = await alumiaError(async () => {
        for await (const event of client.sessions.chatStream(randomUUID(), { content: 'x' }, { signal: controller.signal })) {
          seen.push(event.event === 'delta' ? event.data.text : event.event);
          if (seen.length === 2) controller.abort();
        }
      });
      expect(error).toMatchObject({ code: 'ABORTED', requestId: 'fake-1' });
      expect(seen).toEqual(['message', 'a']);
      // Leaving the loop in the same state ends it at once, without an error.
      const left: string[] = [];
      for await (const event of client.sessions.chatStream(randomUUID(), { content: 'x' })) {
        left.push(event.event);
        await new Promise((resolve) => setTimeout(resolve, 100)); // the rest of the body arrives meanwhile
        if (left.length === 2) break;
      }
      expect(left).toEqual(['message', 'delta']);
    } finally {
      await served.close();
    }
  });

  it('gives the idle limit to the server only: a caller slower than timeoutMs over an event does not time out', async () => {
    const served = await fake((res) => {
      sse(res);
      res.write(`event: message\ndata: ${message}\n\n`);
      setTimeout(() => res.end('event: done\ndata: {}\n\n'), 50);
    });
    try {
      const client = createClient({ apiKey: 'alm_test_x', baseUrl: served.url, timeoutMs: 200 });
      const seen: string[] = [];
      for await (const event of client.sessions.chatStream(randomUUID(), { content: 'x' })) {
        seen.push(event.event);
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
      expect(seen).toEqual(['message', 'done']);
    } finally {
      await served.close();
    }
  });

  it('fails with NETWORK_ERROR when the stream ends before done, and INVALID_RESPONSE for JSON where a stream was expected', async () => {
    const cut = await fake((res) => {
      sse(res);
      res.end(`event: message\ndata: ${message}\n\n`);
    });
    const json = await fake((res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"success":true,"data":{}}');
    });
    try {
      const ended = await alumiaError(() => chatOn(cut));
      expect(ended).toMatchObject({ code: 'NETWORK_ERROR', requestId: 'fake-1' });
      expect(ended.message).toContain('ended before its done event');
      expect(await alumiaError(() => chatOn(json))).toMatchObject({ code: 'INVALID_RESPONSE', status: 200 });
    } finally {
      await cut.close();
      await json.close();
    }
  });
});

describe('billing', () => {
  it('credits() is the balance: zero for a new organization, then what was granted minus what replies used', async () => {
    const { t, client, agent, session } = await setup(PAID);
    expect(await client.billing.credits()).toEqual({ credits: 0, creditMicro: 0 });
    await fund(t, 100_000_000n);
    expect(await client.billing.credits()).toEqual({ credits: 100, creditMicro: 100_000_000 });

    // gpt-4.1-mini: 400,000 and 1,600,000 creditMicro per million input and output tokens.
    up.enqueue({ kind: 'reply', text: 'Paid answer.', usage: { prompt_tokens: 1000, completion_tokens: 500 } });
    const { reply } = await client.sessions.chat(session.id, { content: 'bill me' });
    expect(reply.usage).toEqual({ inputTokens: 1000, outputTokens: 500, creditMicro: 1200 });
    expect(await client.billing.credits()).toEqual({ credits: 99.9988, creditMicro: 99_998_800 });

    const row = { replies: 1, inputTokens: 1000, outputTokens: 500, credits: 0.0012, creditMicro: 1200 };
    const byModel = await client.billing.usage({ groupBy: 'model' });
    expect(byModel).toMatchObject({ groupBy: 'model', items: [{ key: PAID, ...row }], total: row });
    expect((await client.billing.usage({ groupBy: 'agent' })).items).toEqual([{ key: agent.id, ...row }]);
    const byDay = await client.billing.usage();
    expect(byDay).toMatchObject({ groupBy: 'day', items: [{ key: new Date().toISOString().slice(0, 10), ...row }] });
    expect(Date.parse(byDay.to) - Date.parse(byDay.from)).toBe(30 * 86_400_000);

    const past = await client.billing.usage({ from: '2020-01-01T00:00:00.000Z', to: '2020-01-02T00:00:00.000Z' });
    expect(past).toMatchObject({ from: '2020-01-01T00:00:00.000Z', to: '2020-01-02T00:00:00.000Z', items: [], total: { replies: 0 } });
    const backwards = await alumiaError(() => client.billing.usage({ from: '2020-01-02T00:00:00.000Z', to: '2020-01-01T00:00:00.000Z' }));
    expect(backwards).toMatchObject({ code: 'VALIDATION_ERROR', status: 422 });
  });

  it('needs the billing:read scope', async () => {
    const t = await h.tenant();
    const readOnly = createClient({ apiKey: await h.keyWithScopes(t, ['agents:read']), baseUrl: server.url });
    expect(await alumiaError(() => readOnly.billing.credits())).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(await alumiaError(() => readOnly.billing.usage())).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    const billing = createClient({ apiKey: await h.keyWithScopes(t, ['billing:read']), baseUrl: server.url });
    expect((await billing.billing.credits()).creditMicro).toBe(0);
    expect((await billing.billing.usage()).items).toEqual([]);
  });
});
