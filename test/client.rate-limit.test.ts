import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, parseRateLimit } from '../client/src/index.js';
import { alumiaError } from './helpers/client-errors.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { flakyProxy, listen, type FlakyProxy, type Served } from './helpers/live-http.js';

// The typed client reads the server's RateLimit fields on every answer and on errors, and its retry waits
// for the reset they give when an answer has no Retry-After. Real server, real HTTP.

let h: Harness;
let server: Served;
let proxy: FlakyProxy;
beforeAll(async () => {
  h = await startHarness();
  const limited = await h.rebuild({ DISABLE_RATE_LIMIT: '0', API_RATE_LIMIT_PER_MINUTE: '3' });
  server = await listen(limited.app);
  proxy = await flakyProxy(server.url);
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
  await h?.close();
});

describe('client.lastRateLimit and AlumiaError.rateLimit', () => {
  it('is empty before any answer, then holds the figures of the latest answer', async () => {
    const t = await h.tenant();
    const client = createClient({ apiKey: t.key, baseUrl: server.url, retries: 0 });
    expect(client.lastRateLimit).toEqual([]);
    await client.me();
    expect(client.lastRateLimit).toEqual([{ policy: 'api', limit: 3, windowSeconds: 60, remaining: 2, resetSeconds: expect.any(Number) }]);
    await client.models.list();
    expect(client.lastRateLimit[0]!.remaining).toBe(1);
  });

  it('puts the figures and the wait on the 429 error', async () => {
    const t = await h.tenant();
    const client = createClient({ apiKey: t.key, baseUrl: server.url, retries: 0 });
    for (let i = 0; i < 3; i++) await client.me();
    const error = await alumiaError(() => client.me());
    expect(error.code).toBe('TOO_MANY_REQUESTS');
    expect(error.rateLimit).toEqual([{ policy: 'api', limit: 3, windowSeconds: 60, remaining: 0, resetSeconds: expect.any(Number) }]);
    expect(error.retryAfterMs).toBe(error.rateLimit[0]!.resetSeconds * 1000);
    expect(client.lastRateLimit[0]!.remaining).toBe(0);
  });

  it('waits for the RateLimit reset when a 429 has no Retry-After, and gives up when it is longer than maxDelayMs', async () => {
    const t = await h.tenant();
    proxy.failNext(1, { kind: 'status', status: 429, headers: { RateLimit: '"api";r=0;t=1', 'RateLimit-Policy': '"api";q=3;w=60' } });
    const started = Date.now();
    const client = createClient({ apiKey: t.key, baseUrl: proxy.url, retries: { max: 1, baseDelayMs: 1, maxDelayMs: 5_000 } });
    await client.me();
    // A wait of about a second proves the reset was honoured (the backoff alone would be ~1 ms).
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    proxy.failNext(1, { kind: 'status', status: 429, headers: { RateLimit: '"api";r=0;t=30' } });
    const error = await alumiaError(() => createClient({ apiKey: t.key, baseUrl: proxy.url, retries: { max: 1, maxDelayMs: 5_000 } }).me());
    expect(error).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfterMs: 30_000 });
  });

  it('reads a malformed field as no figures rather than failing the answer', () => {
    expect(parseRateLimit(new Headers({ RateLimit: 'not a "list' }))).toEqual([]);
    expect(parseRateLimit(new Headers({ RateLimit: '"api";t=5' }))).toEqual([]);
    expect(parseRateLimit(new Headers({ RateLimit: '"docs-ask";r=4;t=9' }))).toEqual([
      { policy: 'docs-ask', limit: undefined, windowSeconds: undefined, remaining: 4, resetSeconds: 9 },
    ]);
  });
});
