import { Redis } from 'ioredis';
import { parseList, type List } from 'structured-headers';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { utilityRateLimit } from '../server/plugins/rate-limit.js';
import { expectError } from './helpers/envelope.js';
import { startHarness, TEST_ENV, type Harness } from './helpers/harness.js';

// draft-ietf-httpapi-ratelimit-headers-11: both fields are Structured Field lists, one member per policy,
// read here with a structured-field parser rather than compared as strings.
interface Member {
  name: string;
  params: Record<string, unknown>;
}
const members = (value: string | undefined): Member[] => {
  expect(value, 'the field is present').toBeTypeOf('string');
  const list: List = parseList(value!);
  return list.map(([item, params]) => {
    expect(typeof item, 'each member is a String naming a policy').toBe('string');
    return { name: item as string, params: Object.fromEntries(params) };
  });
};
const policies = (res: { headers: Record<string, string | undefined> }) => members(res.headers['ratelimit-policy']);
const states = (res: { headers: Record<string, string | undefined> }) => members(res.headers['ratelimit']);
const state = (res: { headers: Record<string, string | undefined> }, name: string) => states(res).find((m) => m.name === name)?.params;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('RateLimit-Policy and RateLimit on every answer a limit governs', () => {
  it('names the per-key API budget with its quota and window, and counts down what is left', async () => {
    const { http } = await h.rebuild({ DISABLE_RATE_LIMIT: '0', API_RATE_LIMIT_PER_MINUTE: '7' });
    const t = await h.tenant();
    const first = await http.get('/api/v1/me').set(t.auth).expect(200);
    expect(policies(first)).toEqual([{ name: 'api', params: { q: 7, w: 60 } }]);
    const s1 = state(first, 'api')!;
    expect(s1.r).toBe(6);
    expect(s1.t).toBeGreaterThanOrEqual(1);
    expect(s1.t).toBeLessThanOrEqual(60);
    const second = await http.get('/api/v1/agents').set(t.auth).expect(200);
    expect(state(second, 'api')!.r).toBe(5);
    // Another key has its own budget.
    const other = await h.tenant();
    expect(state(await http.get('/api/v1/me').set(other.auth), 'api')!.r).toBe(6);
  });

  it('answers 429 with r=0, and Retry-After equal to the reset the RateLimit field gives', async () => {
    const { http } = await h.rebuild({ DISABLE_RATE_LIMIT: '0', API_RATE_LIMIT_PER_MINUTE: '2' });
    const t = await h.tenant();
    await http.get('/api/v1/me').set(t.auth).expect(200);
    expect(state(await http.get('/api/v1/me').set(t.auth).expect(200), 'api')!.r).toBe(0);
    const refused = await http.get('/api/v1/me').set(t.auth);
    expectError(refused, 'TOO_MANY_REQUESTS');
    const s = state(refused, 'api')!;
    expect(s.r).toBe(0);
    expect(Number(refused.headers['retry-after'])).toBe(s.t);
  });

  it('lists the sensitive bucket next to the API budget on a sensitive route, and keeps its 400', async () => {
    const { http } = await h.rebuild({ DISABLE_RATE_LIMIT: '0', KEY_MINT_LIMIT_PER_MINUTE: '2' });
    const t = await h.tenant();
    const mint = () => http.post('/api/v1/api-keys').set(t.auth).send({ name: 'bucket' });
    const first = await mint().expect(201);
    expect(policies(first)).toEqual([
      { name: 'api', params: { q: 6000, w: 60 } },
      { name: 'sensitive', params: { q: 2, w: 60 } },
    ]);
    expect(state(first, 'sensitive')!.r).toBe(1);
    await mint().expect(201);
    const refused = await mint();
    expect(expectError(refused, 'BAD_REQUEST').message).toContain('Too many requests');
    expect(state(refused, 'sensitive')!.r).toBe(0);
    expect(Number(refused.headers['retry-after'])).toBe(state(refused, 'sensitive')!.t);
    // A route that is not sensitive names the API budget only.
    expect(policies(await http.get('/api/v1/me').set(t.auth)).map((p) => p.name)).toEqual(['api']);
  });

  it('sends neither field where no limit applies: health, docs, or with limits turned off', async () => {
    const on = await h.rebuild({ DISABLE_RATE_LIMIT: '0' });
    for (const path of ['/healthz', '/api/v1/openapi.json']) {
      const res = await on.http.get(path);
      expect(res.headers['ratelimit'], path).toBeUndefined();
      expect(res.headers['ratelimit-policy'], path).toBeUndefined();
    }
    const t = await h.tenant();
    const off = await h.rebuild({ DISABLE_RATE_LIMIT: '1' });
    expect((await off.http.get('/api/v1/me').set(t.auth).expect(200)).headers['ratelimit']).toBeUndefined();
  });

  it('exposes both fields to browsers when CORS is on', async () => {
    const { http } = await h.rebuild({ DISABLE_RATE_LIMIT: '0', CORS_ORIGINS: 'https://app.example.com' });
    const t = await h.tenant();
    const res = await http.get('/api/v1/me').set(t.auth).set('Origin', 'https://app.example.com').expect(200);
    const exposed = String(res.headers['access-control-expose-headers'])
      .split(',')
      .map((s) => s.trim());
    expect(exposed).toEqual(expect.arrayContaining(['RateLimit', 'RateLimit-Policy', 'Retry-After']));
  });

  it('refuses to build an app whose contract names a policy it does not have', () => {
    expect(() => utilityRateLimit({ enabled: true, policies: {} }, ['no-such-policy'])).toThrow(/unknown policy no-such-policy/);
  });
});

describe('with Redis, the figures are the ones every server shares', () => {
  let redis: Redis | undefined;
  let reachable = false;
  beforeAll(async () => {
    redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    reachable = await redis
      .connect()
      .then(() => redis!.ping())
      .then(() => true)
      .catch(() => false);
    if (!reachable) console.log('SKIPPED: Redis is not reachable on 127.0.0.1:6379; the shared-figures test needs it');
  });
  afterAll(() => redis?.quit().catch(() => undefined));

  it('counts one budget across two apps on one Redis', async (ctx) => {
    if (!reachable) return ctx.skip();
    // A fresh prefix per run would need a config knob; a fresh tenant (so a fresh key) keeps runs apart instead.
    const config = loadConfig({
      ...TEST_ENV,
      DISABLE_RATE_LIMIT: '0',
      API_RATE_LIMIT_PER_MINUTE: '10',
      ...(h.url ? { DATABASE_URL: h.url } : {}),
    });
    const logger = createLogger('silent');
    const [a, b] = [0, 1].map(() => supertest(buildApp({ config, db: h.db, logger, redis })));
    const t = await h.tenant();
    expect(state(await a!.get('/api/v1/me').set(t.auth).expect(200), 'api')!.r).toBe(9);
    expect(state(await b!.get('/api/v1/me').set(t.auth).expect(200), 'api')!.r).toBe(8);
    expect(state(await a!.get('/api/v1/me').set(t.auth).expect(200), 'api')!.r).toBe(7);
  });
});
