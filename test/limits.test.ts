import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from './helpers/envelope.js';
import { createAgent } from './helpers/fixtures.js';
import { startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('per-key request budget (429)', () => {
  it('answers 429 TOO_MANY_REQUESTS with Retry-After once a key used its budget, other keys unaffected', async () => {
    const limited = await h.rebuild({ DISABLE_RATE_LIMIT: '0', API_RATE_LIMIT_PER_MINUTE: '5' });
    const t = await h.tenant();
    const other = await h.tenant();
    for (let i = 0; i < 5; i++) await limited.http.get('/api/v1/me').set(t.auth).expect(200);
    const res = await limited.http.get('/api/v1/agents').set(t.auth);
    const err = expectError(res, 'TOO_MANY_REQUESTS');
    expect(err.message).toContain('5 requests per minute');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await limited.http.get('/api/v1/me').set(other.auth).expect(200);
  });

  it('still applies in production even when DISABLE_RATE_LIMIT=1', async () => {
    const prod = await h.rebuild({ NODE_ENV: 'production', DISABLE_RATE_LIMIT: '1', API_RATE_LIMIT_PER_MINUTE: '2' });
    const t = await h.tenant();
    const key = await h.mintKey(t, { env: 'live' });
    const auth = { Authorization: `Bearer ${key}` };
    await prod.http.get('/api/v1/me').set(auth).expect(200);
    await prod.http.get('/api/v1/me').set(auth).expect(200);
    expectError(await prod.http.get('/api/v1/me').set(auth), 'TOO_MANY_REQUESTS');
  });

  it('is off with DISABLE_RATE_LIMIT=1 outside production', async () => {
    const off = await h.rebuild({ DISABLE_RATE_LIMIT: '1', API_RATE_LIMIT_PER_MINUTE: '1' });
    const t = await h.tenant();
    for (let i = 0; i < 4; i++) await off.http.get('/api/v1/me').set(t.auth).expect(200);
  });
});

describe('plan limit on agents (402)', () => {
  it("answers 402 PAYMENT_REQUIRED when the org already holds the plan's agents, Ala included, and creates nothing", async () => {
    const capped = await h.rebuild({ AGENT_LIMIT_PER_ORG: '3' });
    const t = await h.tenant();
    await capped.http.post('/api/v1/agents').set(t.auth).send({ name: 'One' }).expect(201);
    await capped.http.post('/api/v1/agents').set(t.auth).send({ name: 'Two' }).expect(201);
    const err = expectError(await capped.http.post('/api/v1/agents').set(t.auth).send({ name: 'Three' }), 'PAYMENT_REQUIRED');
    expect(err.message).toContain('3 agents');
    expect(await h.db.prisma.agent.count({ where: { orgId: t.orgId } })).toBe(3);
  });

  it('counts live agents only: deleting one makes room again', async () => {
    const capped = await h.rebuild({ AGENT_LIMIT_PER_ORG: '2' });
    const t = await h.tenant();
    const a = (await capped.http.post('/api/v1/agents').set(t.auth).send({ name: 'Only' }).expect(201)).body.data;
    expectError(await capped.http.post('/api/v1/agents').set(t.auth).send({ name: 'Extra' }), 'PAYMENT_REQUIRED');
    await capped.http.delete(`/api/v1/agents/${a.id}`).set(t.auth).expect(200);
    await capped.http.post('/api/v1/agents').set(t.auth).send({ name: 'Extra' }).expect(201);
  });

  it('has no limit by default', async () => {
    const t = await h.tenant();
    for (let i = 0; i < 5; i++) await createAgent(h, t, { name: `Free ${i}` });
  });
});

describe('key cache', () => {
  it('serves a flood of one unknown key with 401s and never caches a key past its revocation', async () => {
    const t = await h.tenant();
    const wrong = { Authorization: `Bearer alm_test_${'0'.repeat(48)}` };
    for (let i = 0; i < 3; i++) expectError(await h.http.get('/api/v1/me').set(wrong), 'UNAUTHORIZED');
    const key = await h.mintKey(t);
    const auth = { Authorization: `Bearer ${key}` };
    const id = (await h.http.get('/api/v1/me').set(auth).expect(200)).body.data.apiKey.id;
    // A request in flight while the revocation commits must not re-cache the key as valid.
    const [revoked] = await Promise.all([h.http.delete(`/api/v1/api-keys/${id}`).set(t.auth), h.http.get('/api/v1/me').set(auth)]);
    expect(revoked.status).toBe(200);
    expectError(await h.http.get('/api/v1/me').set(auth), 'UNAUTHORIZED');
  });
});
