import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffDelay, createClient, DEFAULT_RETRY, parseRetryAfter, type ClientOptions } from '../client/src/index.js';
import { alumiaError } from './helpers/client-errors.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { flakyProxy, listen, type FlakyProxy, type Served } from './helpers/live-http.js';

// The client's retry rules against the real server on real HTTP (no mocks): the app listens on an ephemeral
// port and a node:http proxy in front of it fails requests on purpose.

let h: Harness;
let server: Served;
let proxy: FlakyProxy;
beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app);
  proxy = await flakyProxy(server.url);
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
  await h?.close();
});

/** A client for `t`, straight to the server; no retry waits unless the test asks for them. */
const clientFor = (t: Tenant, options: ClientOptions = {}) =>
  createClient({ apiKey: t.key, baseUrl: server.url, retries: { baseDelayMs: 1 }, ...options });
/** The same through the flaky proxy. */
const viaProxy = (t: Tenant, options: ClientOptions = {}) =>
  createClient({ apiKey: t.key, baseUrl: proxy.url, retries: { baseDelayMs: 1 }, ...options });

describe('retries', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });
  const agentCount = async () => (await clientFor(t).agents.list().toArray()).length;

  it('retries a GET after 503 with Retry-After: 0 and succeeds on the third attempt', async () => {
    proxy.failNext(2, { kind: 'status', status: 503, retryAfter: '0' });
    const me = await viaProxy(t, { retries: 2 }).me();
    expect(me.org.id).toBe(t.orgId);
    expect(proxy.seen.map((r) => r.outcome)).toEqual(['status', 'status', 'forwarded']);
  });

  it('retries 429 like 503', async () => {
    proxy.failNext(1, { kind: 'status', status: 429, retryAfter: '0' });
    expect((await viaProxy(t).models.list()).items.length).toBeGreaterThan(0);
    expect(proxy.seen).toHaveLength(2);
  });

  it('gives up after `max` retries and throws the last answer', async () => {
    proxy.failNext(10, { kind: 'status', status: 503, retryAfter: '0' });
    const error = await alumiaError(() => viaProxy(t, { retries: { max: 2, baseDelayMs: 1 } }).agents.listPage());
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, requestId: 'proxy-3', retryAfterMs: 0 });
    expect(proxy.seen).toHaveLength(3);
  });

  it('retries a DELETE after 503', async () => {
    const agent = await clientFor(t).agents.create({ name: uniq('Doomed') });
    proxy.failNext(1, { kind: 'status', status: 503, retryAfter: '0' });
    expect(await viaProxy(t).agents.delete(agent.id)).toEqual({ deleted: true });
    expect(proxy.seen.map((r) => `${r.method} ${r.outcome}`)).toEqual(['DELETE status', 'DELETE forwarded']);
  });

  it('never retries a POST without idempotencyKey: one attempt, the 503 is thrown, nothing is created', async () => {
    const before = await agentCount();
    proxy.failNext(1, { kind: 'status', status: 503, retryAfter: '0' });
    const error = await alumiaError(() => viaProxy(t, { retries: 5 }).agents.create({ name: uniq('Once') }));
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    expect(proxy.seen).toHaveLength(1);
    expect(await agentCount()).toBe(before);
  });

  it('never retries a POST without idempotencyKey after a network failure either', async () => {
    proxy.failNext(1, { kind: 'reset' });
    const error = await alumiaError(() => viaProxy(t, { retries: 5 }).sessions.create({ agentIds: ['ala'] }));
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
    expect(proxy.seen).toHaveLength(1);
  });

  it('retries a POST with idempotencyKey, sending the same key, and creates the agent once', async () => {
    const before = await agentCount();
    const idempotencyKey = randomUUID();
    proxy.failNext(1, { kind: 'status', status: 503, retryAfter: '0' });
    const agent = await viaProxy(t).agents.create({ name: uniq('Idem') }, { idempotencyKey });
    expect(proxy.seen.map((r) => [r.method, r.idempotencyKey])).toEqual([
      ['POST', idempotencyKey],
      ['POST', idempotencyKey],
    ]);
    expect(await agentCount()).toBe(before + 1);
    expect((await clientFor(t).agents.get(agent.id)).id).toBe(agent.id);
  });

  it('retries a POST with idempotencyKey after a reset connection, and the server replays instead of creating twice', async () => {
    const before = await agentCount();
    const idempotencyKey = randomUUID();
    const client = viaProxy(t);
    const first = await client.agents.create({ name: 'Replayed' }, { idempotencyKey });
    proxy.failNext(1, { kind: 'reset' });
    const again = await client.agents.create({ name: 'Replayed' }, { idempotencyKey });
    expect(again).toEqual(first);
    expect(proxy.seen.map((r) => r.outcome)).toEqual(['reset', 'forwarded']);
    expect(await agentCount()).toBe(before + 1);
  });

  it('never retries a PATCH', async () => {
    const agent = await clientFor(t).agents.create({ name: uniq('Patchy') });
    proxy.failNext(1, { kind: 'status', status: 503, retryAfter: '0' });
    const error = await alumiaError(() => viaProxy(t, { retries: 5 }).agents.update(agent.id, { description: 'x' }));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(proxy.seen).toHaveLength(1);
  });

  it('retries a GET after a reset connection', async () => {
    proxy.failNext(1, { kind: 'reset' });
    expect((await viaProxy(t).me()).org.id).toBe(t.orgId);
    expect(proxy.seen.map((r) => r.outcome)).toEqual(['reset', 'forwarded']);
  });

  it('waits as long as Retry-After says (1 second) before retrying', async () => {
    proxy.failNext(1, { kind: 'status', status: 503, retryAfter: '1' });
    const started = Date.now();
    await viaProxy(t).me();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(proxy.seen).toHaveLength(2);
  });

  it('does not wait for a Retry-After longer than maxDelayMs: it throws at once with retryAfterMs', async () => {
    proxy.failNext(1, { kind: 'status', status: 503, retryAfter: '120' });
    const started = Date.now();
    const error = await alumiaError(() => viaProxy(t, { retries: { max: 3, maxDelayMs: 5_000 } }).me());
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfterMs: 120_000 });
    expect(proxy.seen).toHaveLength(1);
  });

  it('turns a request without an answer within timeoutMs into TIMEOUT, retried like a network failure', async () => {
    proxy.failNext(2, { kind: 'hang' });
    const error = await alumiaError(() => viaProxy(t, { timeoutMs: 200, retries: { max: 1, baseDelayMs: 1 } }).me());
    expect(error).toMatchObject({ code: 'TIMEOUT', status: 0 });
    expect(proxy.seen).toHaveLength(2);
  });

  it('stops at once when the caller aborts: ABORTED, no retry', async () => {
    proxy.failNext(5, { kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await alumiaError(() => viaProxy(t, { retries: 5 }).me({ signal: controller.signal }));
    expect(error.code).toBe('ABORTED');
    expect(proxy.seen).toHaveLength(1);
    proxy.failNext(0, { kind: 'reset' });
  });

  it('with retries: 0 makes exactly one attempt', async () => {
    proxy.failNext(1, { kind: 'status', status: 503, retryAfter: '0' });
    expect((await alumiaError(() => viaProxy(t, { retries: 0 }).me())).code).toBe('SERVICE_UNAVAILABLE');
    expect(proxy.seen).toHaveLength(1);
  });
});

describe('backoff and Retry-After parsing', () => {
  it('backs off exponentially with full jitter, capped at maxDelayMs', () => {
    const options = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect([0, 1, 2, 3, 4, 10].map((retry) => backoffDelay(retry, options, () => 0.999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(3, options, () => 0)).toBe(0);
  });

  it('reads Retry-After as delta-seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-25T10:00:00Z');
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
