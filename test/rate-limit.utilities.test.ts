import { parseList } from 'structured-headers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from './helpers/envelope.js';
import { startHarness, uniq, type Harness } from './helpers/harness.js';

// The public utilities' own limits: per client IP, or per key for the docs assistant when one is sent;
// 429 TOO_MANY_REQUESTS with Retry-After and the RateLimit fields (they are not sensitive routes, whose
// limit answers 400).

type Res = { status: number; headers: Record<string, string | undefined> };
const member = (res: Res, field: 'ratelimit' | 'ratelimit-policy', name: string) => {
  const found = parseList(res.headers[field]!).find(([item]) => item === name);
  return found ? Object.fromEntries(found[1]) : undefined;
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const inquiry = () => ({ name: 'Ada Lovelace', email: `${uniq('ada')}@example.com`, company: 'Engines', teamSize: '11-50' });

describe('docs assistant: DOCS_ASK_LIMIT_PER_MINUTE per client IP, or per key when one is sent', () => {
  it('refuses the IP past its limit with 429, Retry-After and r=0, and another IP goes on', async () => {
    const { http } = await h.rebuild({ DISABLE_RATE_LIMIT: '0', DOCS_ASK_LIMIT_PER_MINUTE: '2', TRUST_PROXY: 'true' });
    const ask = (ip: string) => http.post('/api/v1/docs/ask').set('X-Forwarded-For', ip).send({ question: 'how do I delete an agent' });
    const first = await ask('203.0.113.20').expect(200);
    expect(member(first, 'ratelimit-policy', 'docs-ask')).toEqual({ q: 2, w: 60 });
    expect(member(first, 'ratelimit', 'docs-ask')!.r).toBe(1);
    await ask('203.0.113.20').expect(200);
    const refused = await ask('203.0.113.20');
    expect(expectError(refused, 'TOO_MANY_REQUESTS').message).toContain('2 questions per minute');
    expect(Number(refused.headers['retry-after'])).toBe(member(refused, 'ratelimit', 'docs-ask')!.t);
    expect(member(refused, 'ratelimit', 'docs-ask')!.r).toBe(0);
    await ask('203.0.113.21').expect(200);
  });

  it('gives each key its own bucket, apart from its address, and names the API budget too', async () => {
    const { http } = await h.rebuild({ DISABLE_RATE_LIMIT: '0', DOCS_ASK_LIMIT_PER_MINUTE: '1', TRUST_PROXY: 'true' });
    const [a, b] = [await h.tenant(), await h.tenant()];
    const ask = (auth?: { Authorization: string }) => {
      const req = http.post('/api/v1/docs/ask').set('X-Forwarded-For', '203.0.113.30');
      return (auth ? req.set(auth) : req).send({ question: 'what is the body size limit' });
    };
    const keyed = await ask(a.auth).expect(200);
    expect(parseList(keyed.headers['ratelimit-policy']!).map(([name]) => name)).toEqual(['api', 'docs-ask']);
    expectError(await ask(a.auth), 'TOO_MANY_REQUESTS');
    await ask(b.auth).expect(200);
    await ask().expect(200);
    expectError(await ask(), 'TOO_MANY_REQUESTS');
  });
});

describe('enterprise inquiry: INQUIRY_LIMIT_PER_HOUR per client IP', () => {
  it('announces an hour-long window, refuses the sixth with 429, and a key does not buy another bucket', async () => {
    const { http } = await h.rebuild({ DISABLE_RATE_LIMIT: '0', TRUST_PROXY: 'true' });
    const t = await h.tenant();
    const send = (ip: string, auth?: { Authorization: string }) => {
      const req = http.post('/api/v1/enterprise-inquiry').set('X-Forwarded-For', ip);
      return (auth ? req.set(auth) : req).send(inquiry());
    };
    const first = await send('203.0.113.40').expect(202);
    expect(member(first, 'ratelimit-policy', 'enterprise-inquiry')).toEqual({ q: 5, w: 3600 });
    for (let i = 0; i < 3; i++) await send('203.0.113.40').expect(202);
    await send('203.0.113.40', t.auth).expect(202);
    const refused = await send('203.0.113.40', t.auth);
    expect(expectError(refused, 'TOO_MANY_REQUESTS').message).toContain('5 inquiries per hour');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(60);
    await send('203.0.113.41').expect(202);
  });

  it('counts a filled honeypot like a real inquiry: a bot is limited the same and learns nothing', async () => {
    const { http } = await h.rebuild({ DISABLE_RATE_LIMIT: '0', INQUIRY_LIMIT_PER_HOUR: '1', TRUST_PROXY: 'true' });
    const send = (body: object) => http.post('/api/v1/enterprise-inquiry').set('X-Forwarded-For', '203.0.113.50').send(body);
    await send({ ...inquiry(), website: 'https://spam.example' }).expect(202);
    expectError(await send(inquiry()), 'TOO_MANY_REQUESTS');
  });
});
