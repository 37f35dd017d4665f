import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COOKIE, givePassword, signIn } from './helpers/browser-session.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

/**
 * The CSRF rule for cookie requests with unsafe methods, and for login: Sec-Fetch-Site must be same-origin
 * or none; without it, Origin must be the server's own (scheme and Host as express sees them).
 */

let h: Harness;
let t: Tenant;
let password: string;
let token: string;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  password = await givePassword(h, t);
  token = (await signIn(h.http, t.email, password)).token;
});
afterAll(() => h.close());

const HOST = 'dashboard.example.test';
const OWN = `http://${HOST}`;
const cookie = () => ({ Cookie: `${COOKIE}=${token}`, Host: HOST });
/** An unsafe cookie request (creating a project) with these extra headers. */
const post = (headers: Record<string, string>) =>
  h.http
    .post('/api/v1/projects')
    .set({ ...cookie(), ...headers })
    .send({ name: `p ${Math.random()}` });

describe('unsafe methods with the session cookie', () => {
  it('pass with Sec-Fetch-Site same-origin or none', async () => {
    expectSuccess(await post({ 'Sec-Fetch-Site': 'same-origin' }), 201);
    expectSuccess(await post({ 'Sec-Fetch-Site': 'none' }), 201);
  });

  it('are refused with Sec-Fetch-Site cross-site or same-site, whatever Origin says', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const error = expectError(await post({ 'Sec-Fetch-Site': site, Origin: OWN }), 'FORBIDDEN');
      expect(error.message).toContain('Cross-site request refused');
      expect(error.message).toContain(site);
    }
  });

  it('without Sec-Fetch-Site: pass when Origin is this server, else 403 (another origin, another scheme, null, absent)', async () => {
    expectSuccess(await post({ Origin: OWN }), 201);
    for (const origin of ['http://evil.example', `https://${HOST}`, `${OWN}:8080`, 'null']) {
      expect(expectError(await post({ Origin: origin }), 'FORBIDDEN').message).toContain(origin);
    }
    expect(expectError(await post({}), 'FORBIDDEN').message).toContain('Origin');
  });

  it('cover PATCH and DELETE, before the body is even read', async () => {
    const created = expectSuccess(await post({ 'Sec-Fetch-Site': 'same-origin' }), 201);
    const path = `/api/v1/projects/${created.id}`;
    expectError(
      await h.http
        .patch(path)
        .set({ ...cookie(), 'Sec-Fetch-Site': 'cross-site' })
        .send({ name: 'x' }),
      'FORBIDDEN',
    );
    // A body over the cap would be 413; the CSRF refusal comes first.
    const huge = { name: 'x'.repeat(300_000) };
    expectError(
      await h.http
        .patch(path)
        .set({ ...cookie(), 'Sec-Fetch-Site': 'cross-site' })
        .send(huge),
      'FORBIDDEN',
    );
    expectError(await h.http.delete(path).set({ ...cookie(), Origin: 'http://evil.example' }), 'FORBIDDEN');
    expectSuccess(await h.http.delete(path).set({ ...cookie(), 'Sec-Fetch-Site': 'same-origin' }));
  });

  it('compare Origin with the public origin behind a trusted proxy (X-Forwarded-Proto and Host)', async () => {
    const proxied = await h.rebuild({ TRUST_PROXY: 'true' });
    const send = (origin: string) =>
      proxied.http
        .post('/api/v1/projects')
        .set({ ...cookie(), 'X-Forwarded-Proto': 'https', Origin: origin })
        .send({ name: `p ${Math.random()}` });
    expectSuccess(await send(`https://${HOST}`), 201);
    expectError(await send(OWN), 'FORBIDDEN');
  });
});

describe('what the rule leaves alone', () => {
  it('safe methods with the cookie, from anywhere', async () => {
    expectSuccess(await h.http.get('/api/v1/projects').set({ ...cookie(), 'Sec-Fetch-Site': 'cross-site' }));
    expectSuccess(await h.http.get('/api/v1/auth/session').set({ ...cookie(), Origin: 'http://evil.example' }));
  });

  it('requests with an API key, even cross-site ones', async () => {
    const res = await h.http
      .post('/api/v1/projects')
      .set({ ...t.auth, 'Sec-Fetch-Site': 'cross-site', Origin: 'http://evil.example' })
      .send({ name: 'by key' });
    expectSuccess(res, 201);
  });

  it('a key with a cookie beside it: the key decides, so no CSRF check', async () => {
    const res = await h.http
      .post('/api/v1/projects')
      .set({ ...cookie(), ...t.auth, 'Sec-Fetch-Site': 'cross-site' })
      .send({ name: 'key and cookie' });
    expectSuccess(res, 201);
  });
});

describe('login CSRF', () => {
  const login = (headers: Record<string, string>) =>
    h.http
      .post('/api/v1/auth/login')
      .set({ Host: HOST, ...headers })
      .send({ email: t.email, password });

  it('applies the same rule to POST /auth/login without a cookie', async () => {
    expectSuccess(await login({ 'Sec-Fetch-Site': 'same-origin' }));
    expectSuccess(await login({ 'Sec-Fetch-Site': 'none' }));
    expectSuccess(await login({ Origin: OWN }));
    expectError(await login({ 'Sec-Fetch-Site': 'cross-site' }), 'FORBIDDEN');
    expectError(await login({ 'Sec-Fetch-Site': 'same-site' }), 'FORBIDDEN');
    expectError(await login({ Origin: 'http://evil.example' }), 'FORBIDDEN');
    expectError(await login({}), 'FORBIDDEN');
  });

  it('refuses a cross-site login before the password is checked: even a wrong one answers 403, not 401', async () => {
    const res = await h.http
      .post('/api/v1/auth/login')
      .set({ 'Sec-Fetch-Site': 'cross-site' })
      .send({ email: t.email, password: 'wrong password' });
    expectError(res, 'FORBIDDEN');
  });
});
