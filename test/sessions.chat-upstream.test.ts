import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatResult, Session } from '../generated/sdk/types.gen.js';
import {
  balanceOf,
  chatPath,
  costOf,
  expectLedgerConsistent,
  modelOf,
  RELAXED,
  storedState,
  upstreamEnv,
  XAI_KEY,
} from './helpers/chat.js';
import { expectError, expectSuccess, type HttpResult } from './helpers/envelope.js';
import { createAgent, createSession } from './helpers/fixtures.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { unusedPort } from './helpers/live-http.js';
import { startUpstream, type Behavior, type Upstream } from './helpers/upstream.js';

// A provider that fails while a chat waits for it (non-streaming): the answer is 503 with Retry-After, or
// 422 for a request the provider refused as invalid; the message names the provider and never its key or
// URL; nothing is stored and nothing is debited. Also a provider that answers but reports no usage. The harness waits long for the model, so only the timeout
// a case is about can fire: `fast` has both timeouts at 300 ms, `idle` only the idle one.

let h: Harness;
let up: Upstream;
let t: Tenant;
let s: Session;
let apps: Record<'fast' | 'idle', Awaited<ReturnType<Harness['rebuild']>>>;
beforeAll(async () => {
  up = await startUpstream();
  h = await startHarness(upstreamEnv(up, RELAXED));
  apps = {
    fast: await h.rebuild({ MODEL_TIMEOUT_MS: '300', MODEL_IDLE_TIMEOUT_MS: '300' }),
    idle: await h.rebuild({ MODEL_IDLE_TIMEOUT_MS: '300' }),
  };
  t = await h.tenant();
  const agent = await createAgent(h, t, { name: 'Grok', model: 'grok-3' });
  s = await createSession(h, t, { agentIds: [agent.id] });
});
afterEach(() => up.reset());
afterAll(async () => {
  await h?.close();
  await up?.close();
});

const chat = (
  body: object = { content: 'are you there?' },
  headers: Record<string, string> = {},
  app: 'fast' | 'idle' | undefined = undefined,
) => (app ? apps[app] : h).http.post(chatPath(s.id)).set(t.auth).set(headers).send(body);

/** Asserts what every provider failure must look like; answers the error and the Retry-After header. */
function expectProviderError(res: HttpResult, code: 'SERVICE_UNAVAILABLE' | 'VALIDATION_ERROR') {
  const error = expectError(res, code);
  expect(error.message).toMatch(/\bxai\b/);
  expect(error.message).not.toContain(XAI_KEY);
  expect(error.message).not.toContain(up.baseURL);
  expect(error.message).not.toContain('127.0.0.1');
  return { error, retryAfter: res.headers['retry-after'] };
}

describe('a provider that fails answers 503 with Retry-After and stores nothing', () => {
  const cases: Array<{ name: string; behavior: Behavior; retryAfter?: string; mentions?: RegExp; app?: 'fast' | 'idle' }> = [
    { name: 'resets the connection', behavior: { kind: 'reset' } },
    { name: 'answers 500', behavior: { kind: 'status', status: 500 } },
    { name: 'answers 503 with Retry-After: 3', behavior: { kind: 'status', status: 503, retryAfter: '3' }, retryAfter: '3' },
    { name: 'rate limits with 429 and Retry-After: 17', behavior: { kind: 'status', status: 429, retryAfter: '17' }, retryAfter: '17' },
    { name: 'sends no first token within MODEL_TIMEOUT_MS', behavior: { kind: 'hang' }, app: 'fast' },
    {
      name: 'stalls mid-stream past MODEL_IDLE_TIMEOUT_MS',
      behavior: { kind: 'reply', chunks: ['par', 'tial', '!'], gapMs: 1_000 },
      app: 'idle',
    },
    { name: 'refuses our key with 401', behavior: { kind: 'status', status: 401 }, mentions: /XAI_API_KEY/ },
  ];

  it.each(cases)('when the provider $name', async ({ behavior, retryAfter, mentions, app }) => {
    const before = await storedState(h, t, s.id);
    up.enqueue(behavior);
    const res = await chat(undefined, {}, app);
    const { error, retryAfter: header } = expectProviderError(res, 'SERVICE_UNAVAILABLE');
    expect(header).toMatch(retryAfter === undefined ? /^[1-9]\d*$/ : new RegExp(`^${retryAfter}$`));
    if (mentions) expect(error.message).toMatch(mentions);
    expect(up.requests).toHaveLength(1); // no retries behind the caller's back
    expect(await storedState(h, t, s.id)).toEqual(before);
  });

  it('when the provider cannot be reached at all', async () => {
    const dead = await h.rebuild({ XAI_BASE_URL: `http://127.0.0.1:${await unusedPort()}/v1` });
    const before = await storedState(h, t, s.id);
    const res = await dead.http.post(chatPath(s.id)).set(t.auth).send({ content: 'anyone?' });
    const error = expectError(res, 'SERVICE_UNAVAILABLE');
    expect(error.message).toMatch(/\bxai\b/);
    expect(error.message).not.toContain(XAI_KEY);
    expect(error.message).not.toContain('127.0.0.1');
    expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(await storedState(h, t, s.id)).toEqual(before);
  });

  it('cancels the provider request once the first-token timeout fired', async () => {
    up.enqueue({ kind: 'hang' });
    const started = Date.now();
    expectError(await chat(undefined, {}, 'fast'), 'SERVICE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5_000); // the server's 300 ms, not the client's ten minutes
    await up.waitForAborts(1, 1_000);
  });

  it('releases the Idempotency-Key on a 503, so the retry calls the model again and succeeds', async () => {
    const key = { 'Idempotency-Key': uniq('retry') };
    up.enqueue({ kind: 'status', status: 500 }, { kind: 'reply', text: 'second time lucky' });
    expectError(await chat({ content: 'again' }, key), 'SERVICE_UNAVAILABLE');
    const retry = await chat({ content: 'again' }, key);
    expect(expectSuccess(retry, 201).reply.content).toBe('second time lucky');
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(up.requests).toHaveLength(2);
  });
});

describe('a provider that refuses the request as invalid answers 422', () => {
  it("with the provider's own explanation, storing nothing", async () => {
    const before = await storedState(h, t, s.id);
    const explanation = "This model's maximum context length is 8192 tokens";
    up.enqueue({ kind: 'status', status: 400, body: { error: { message: explanation } } });
    const { error } = expectProviderError(await chat(), 'VALIDATION_ERROR');
    expect(error.message).toContain(explanation);
    expect(await storedState(h, t, s.id)).toEqual(before);
  });

  it('never repeats our key, even when the provider quotes it', async () => {
    up.enqueue({ kind: 'status', status: 400, body: { error: { message: `Key ${XAI_KEY} may not use this model` } } });
    const { error } = expectProviderError(await chat(), 'VALIDATION_ERROR');
    expect(error.message).toContain('may not use this model');
  });
});

describe('a provider that reports no usage', () => {
  // The reply is still metered: its tokens are estimated (4 characters a token) and debited.
  it('stores an estimated usage and debits its cost', async () => {
    const grok = await modelOf(h, t, 'grok-3');
    const start = await balanceOf(h, t.orgId);
    up.enqueue({ kind: 'reply', text: 'twelve chars', usage: null });
    const { reply } = expectSuccess<ChatResult>(await chat({ content: 'count it' }), 201);
    const { inputTokens, outputTokens, creditMicro } = reply.usage!;
    expect(outputTokens).toBeGreaterThanOrEqual(3);
    expect(outputTokens).toBeLessThanOrEqual(3 + 4); // at most the 4 per message the window counts
    const sent: Array<{ content: string }> = up.requests[0]!.body.messages;
    expect(inputTokens).toBeGreaterThanOrEqual(Math.ceil(sent.reduce((n, m) => n + m.content.length, 0) / 4));
    expect(creditMicro).toBe(costOf({ inputTokens, outputTokens }, grok));
    expect(creditMicro).toBeGreaterThan(0);
    expect(await expectLedgerConsistent(h, t)).toBe(start - creditMicro);
  });
});

describe("the server's logs", () => {
  // Runs last: every failure above has been logged by now.
  it('never contain the provider key', () => {
    expect(h.logs.some((line) => line.includes('request failed'))).toBe(true);
    expect(h.logs.filter((line) => line.includes(XAI_KEY))).toEqual([]);
  });
});
