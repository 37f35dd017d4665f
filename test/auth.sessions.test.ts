import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../server/data/bootstrap.js';
import { hashSessionToken } from '../server/domain/browser-sessions.js';
import {
  ageSession,
  cookieHeaders,
  COOKIE,
  givePassword,
  SAME_ORIGIN,
  sessionCookie,
  sessionRow,
  setCookies,
  signIn,
} from './helpers/browser-session.js';
import { expectError, expectSuccess, ISO, UUID } from './helpers/envelope.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
let t: Tenant;
let password: string;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  password = await givePassword(h, t);
});
afterAll(() => h.close());

const MINUTE = 60_000;
const session = (token: string) => h.http.get('/api/v1/auth/session').set(cookieHeaders(token));

describe('POST /auth/login', () => {
  it('answers the session and sets an HttpOnly, SameSite=Lax, Path=/ cookie holding 32 random bytes; only its hash is stored', async () => {
    const { res, token } = await signIn(h.http, t.email, password, { headers: { 'User-Agent': 'TestBrowser/1.0' } });
    const data = expectSuccess(res);
    expect(data).toEqual({
      user: { id: t.userId, email: t.email, name: null },
      org: { id: t.orgId, slug: t.orgSlug, name: t.orgSlug },
      role: 'owner',
      sessionId: expect.stringMatching(UUID),
      expiresAt: expect.stringMatching(ISO),
      stepUpUntil: expect.stringMatching(ISO),
    });
    expect(res.headers['cache-control']).toBe('no-store');
    const cookie = sessionCookie(res);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/' });
    expect(cookie.secure).toBeFalsy();
    // Expires has whole seconds.
    expect(cookie.expires?.getTime()).toBe(Math.floor(new Date(data.expiresAt).getTime() / 1000) * 1000);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    const row = await sessionRow(h, token);
    expect(row).toMatchObject({ id: data.sessionId, tokenHash: hashSessionToken(token), userAgent: 'TestBrowser/1.0', revokedAt: null });
    const stored = await h.db.sql<Record<string, unknown>>(`SELECT * FROM "BrowserSession" WHERE id = $1::uuid`, [data.sessionId]);
    expect(JSON.stringify(stored)).not.toContain(token);
    // Lifetimes are the defaults: 168 h absolute, 10 min step-up.
    const created = row!.createdAt.getTime();
    expect(row!.expiresAt.getTime() - created).toBe(168 * 60 * MINUTE);
    expect(new Date(data.stepUpUntil).getTime() - created).toBe(10 * MINUTE);
  });

  it('marks the cookie Secure on a production server', async () => {
    const prod = await h.rebuild({ NODE_ENV: 'production' });
    const res = await prod.http.post('/api/v1/auth/login').set(SAME_ORIGIN).send({ email: t.email, password });
    expectSuccess(res);
    expect(sessionCookie(res).secure).toBe(true);
  });

  it('answers a wrong email and a wrong password with the same 401 and message, and sets no cookie', async () => {
    const wrongPassword = await h.http
      .post('/api/v1/auth/login')
      .set(SAME_ORIGIN)
      .send({ email: t.email, password: `${password}x` });
    const wrongEmail = await h.http
      .post('/api/v1/auth/login')
      .set(SAME_ORIGIN)
      .send({ email: `nobody-${t.email}`, password });
    const a = expectError(wrongPassword, 'UNAUTHORIZED');
    const b = expectError(wrongEmail, 'UNAUTHORIZED');
    expect(a.message).toBe(b.message);
    expect(a.message).toBe('Wrong email or password');
    expect(setCookies(wrongPassword)).toEqual([]);
    expect(setCookies(wrongEmail)).toEqual([]);
  });

  it('refuses a user without a password like a wrong one', async () => {
    const other = await h.tenant();
    expectError(
      await h.http.post('/api/v1/auth/login').set(SAME_ORIGIN).send({ email: other.email, password: 'anything at all' }),
      'UNAUTHORIZED',
    );
  });

  it('signs a user of several orgs in to the oldest membership, or to the org it names; a foreign org is 403', async () => {
    const second = await bootstrap(h.db.prisma, { orgSlug: uniq('second'), email: t.email, role: 'member', keyEnv: 'test' });
    const first = await signIn(h.http, t.email, password);
    expect(expectSuccess(first.res).org.id).toBe(t.orgId);
    const named = await signIn(h.http, t.email, password, { org: second.orgSlug });
    expect(expectSuccess(named.res)).toMatchObject({ org: { id: second.orgId }, role: 'member' });
    const stranger = await h.tenant();
    const res = await h.http.post('/api/v1/auth/login').set(SAME_ORIGIN).send({ email: t.email, password, org: stranger.orgSlug });
    expect(expectError(res, 'FORBIDDEN').message).toContain(stranger.orgSlug);
  });

  it('starts a new session at every login and ends the one whose cookie the browser sent along', async () => {
    const before = await signIn(h.http, t.email, password);
    const after = await signIn(h.http, t.email, password, { headers: { Cookie: `${COOKIE}=${before.token}` } });
    expect(after.token).not.toBe(before.token);
    expectError(await session(before.token), 'UNAUTHORIZED');
    expectSuccess(await session(after.token));
  });

  it('refuses login with an API key', async () => {
    expectError(
      await h.http
        .post('/api/v1/auth/login')
        .set({ ...SAME_ORIGIN, ...t.auth })
        .send({ email: t.email, password }),
      'FORBIDDEN',
    );
  });
});

describe('GET /auth/session and the cookie as credentials', () => {
  it('describes the session behind the cookie; without one it is 401', async () => {
    const { token, res } = await signIn(h.http, t.email, password);
    expect(expectSuccess(await session(token))).toEqual(expectSuccess(res));
    expectError(await h.http.get('/api/v1/auth/session'), 'UNAUTHORIZED');
  });

  it('answers an unknown or malformed cookie with 401 and clears it', async () => {
    for (const bad of [randomBytes(32).toString('base64url'), 'short', `${'a'.repeat(43)}!`]) {
      const res = await session(bad);
      expectError(res, 'UNAUTHORIZED');
      const cleared = sessionCookie(res);
      expect(cleared.value).toBe('');
      expect(cleared.expires!.getTime()).toBeLessThan(Date.now());
    }
  });

  it('refuses API keys on the dashboard-only operations with 403', async () => {
    expectError(await h.http.get('/api/v1/auth/session').set(t.auth), 'FORBIDDEN');
    expectError(await h.http.get('/api/v1/auth/sessions').set(t.auth), 'FORBIDDEN');
  });

  it('lets a key win when both are sent: a valid key with a junk cookie works, a wrong key with a valid cookie is 401', async () => {
    const { token } = await signIn(h.http, t.email, password);
    const me = expectSuccess(await h.http.get('/api/v1/me').set({ ...t.auth, Cookie: `${COOKIE}=junk` }));
    expect(me.apiKey).not.toBeNull();
    const wrong = `alm_test_${randomBytes(24).toString('hex')}`;
    expectError(await h.http.get('/api/v1/me').set({ ...cookieHeaders(token), Authorization: `Bearer ${wrong}` }), 'UNAUTHORIZED');
  });

  it('ends a session idle for SESSION_IDLE_MINUTES (60), and clears its cookie', async () => {
    const { token } = await signIn(h.http, t.email, password);
    await ageSession(h, token, 'lastSeenAt', 59 * MINUTE);
    expectSuccess(await session(token));
    await ageSession(h, token, 'lastSeenAt', 61 * MINUTE);
    const res = await session(token);
    expect(expectError(res, 'UNAUTHORIZED').message).toContain('inactivity');
    expect(sessionCookie(res).value).toBe('');
  });

  it('honours SESSION_IDLE_MINUTES from the configuration', async () => {
    const short = await h.rebuild({ SESSION_IDLE_MINUTES: '5' });
    const { token } = await signIn(short.http, t.email, password);
    await ageSession(h, token, 'lastSeenAt', 6 * MINUTE);
    expectError(await short.http.get('/api/v1/auth/session').set(cookieHeaders(token)), 'UNAUTHORIZED');
    expectSuccess(await session(token)); // the default 60 minutes still allow it
  });

  it('ends a session past its absolute end, however active', async () => {
    const { token } = await signIn(h.http, t.email, password);
    await ageSession(h, token, 'expiresAt', 168 * 60 * MINUTE);
    expect(expectError(await session(token), 'UNAUTHORIZED').message).toContain('expired');
  });

  it('moves lastSeenAt at most once a minute', async () => {
    const { token } = await signIn(h.http, t.email, password);
    const seen = async () => (await sessionRow(h, token))!.lastSeenAt.getTime();
    const first = await seen();
    expectSuccess(await session(token));
    expect(await seen()).toBe(first);
    await ageSession(h, token, 'lastSeenAt', 2 * MINUTE);
    expectSuccess(await session(token));
    expect(await seen()).toBeGreaterThan(first - MINUTE);
  });

  it('counts bad cookies toward the per-address auth-failure throttle', async () => {
    const limited = await h.rebuild({ DISABLE_RATE_LIMIT: '', AUTH_FAILURE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'true' });
    const { token } = await signIn(h.http, t.email, password);
    const from = (ip: string, cookie: string) =>
      limited.http.get('/api/v1/auth/session').set({ ...cookieHeaders(cookie), 'X-Forwarded-For': ip });
    for (let i = 0; i < 3; i++) expectError(await from('203.0.113.40', randomBytes(32).toString('base64url')), 'UNAUTHORIZED');
    expectError(await from('203.0.113.40', token), 'TOO_MANY_REQUESTS');
    expectSuccess(await from('198.51.100.40', token));
  });
});

describe('logout, the session list and revoking one session', () => {
  it('logout ends the session and clears the cookie; the old value never works again', async () => {
    const { token } = await signIn(h.http, t.email, password);
    const res = await h.http.post('/api/v1/auth/logout').set(cookieHeaders(token));
    expect(expectSuccess(res)).toEqual({ deleted: true });
    expect(sessionCookie(res)).toMatchObject({ value: '', httpOnly: true, path: '/' });
    expect((await sessionRow(h, token))!.revokedAt).not.toBeNull();
    expectError(await session(token), 'UNAUTHORIZED');
    expectError(await h.http.post('/api/v1/auth/logout').set(cookieHeaders(token)), 'UNAUTHORIZED');
  });

  it("lists the user's working sessions, newest first, marking the current one, and no one else's", async () => {
    const u = await h.tenant();
    const pw = await givePassword(h, u);
    const colleague = await h.colleague(u, { role: 'member' });
    await signIn(h.http, colleague.email, await givePassword(h, colleague));
    const older = await signIn(h.http, u.email, pw);
    const ended = await signIn(h.http, u.email, pw);
    await h.http.post('/api/v1/auth/logout').set(ended.headers);
    const idle = await signIn(h.http, u.email, pw);
    await ageSession(h, idle.token, 'lastSeenAt', 61 * MINUTE);
    const newer = await signIn(h.http, u.email, pw, { headers: { 'User-Agent': 'Second/2' } });
    const { items } = expectSuccess(await h.http.get('/api/v1/auth/sessions').set(newer.headers));
    expect(items.map((s: { id: string }) => s.id)).toEqual([expectSuccess(newer.res).sessionId, expectSuccess(older.res).sessionId]);
    expect(items[0]).toEqual({
      id: expect.stringMatching(UUID),
      createdAt: expect.stringMatching(ISO),
      lastSeenAt: expect.stringMatching(ISO),
      expiresAt: expect.stringMatching(ISO),
      userAgent: 'Second/2',
      current: true,
    });
    expect(items[1].current).toBe(false);
  });

  it('revokes one of your own sessions: its cookie stops working; another user’s or an ended one is 404', async () => {
    const mine = await signIn(h.http, t.email, password);
    const other = await signIn(h.http, t.email, password);
    const otherId = expectSuccess(other.res).sessionId;
    expect(expectSuccess(await h.http.delete(`/api/v1/auth/sessions/${otherId}`).set(mine.headers))).toEqual({ deleted: true });
    expectError(await session(other.token), 'UNAUTHORIZED');
    expectError(await h.http.delete(`/api/v1/auth/sessions/${otherId}`).set(mine.headers), 'NOT_FOUND');
    const colleague = await h.colleague(t, { role: 'member' });
    const theirs = await signIn(h.http, colleague.email, await givePassword(h, colleague));
    expectError(await h.http.delete(`/api/v1/auth/sessions/${expectSuccess(theirs.res).sessionId}`).set(mine.headers), 'NOT_FOUND');
    expectSuccess(await session(theirs.token));
  });

  it('ends a session revoked behind the API’s back (a password change does this)', async () => {
    const { token } = await signIn(h.http, t.email, password);
    await h.db.prisma.browserSession.update({ where: { tokenHash: hashSessionToken(token) }, data: { revokedAt: new Date() } });
    expectError(await session(token), 'UNAUTHORIZED');
  });
});

describe('a cookie caller on the rest of the API', () => {
  it('creates an agent and a chat session and lists them; the feed names the user, not a key', async () => {
    const named = await h.tenant();
    await h.db.prisma.user.update({ where: { id: named.userId }, data: { name: 'Ada Lovelace' } });
    const { headers } = await signIn(h.http, named.email, await givePassword(h, named));
    const agent = expectSuccess(
      await h.http.post('/api/v1/agents').set(headers).send({ name: 'Cookie Agent', model: 'alumia-local' }),
      201,
    );
    const chat = expectSuccess(
      await h.http
        .post('/api/v1/sessions')
        .set(headers)
        .send({ agentIds: [agent.slug] }),
      201,
    );
    const listed = expectSuccess(await h.http.get('/api/v1/sessions').set(headers));
    expect(listed.items.map((s: { id: string }) => s.id)).toContain(chat.id);
    const rows = await h.db.sql<{ actorType: string; actorId: string; actorName: string; summary: string }>(
      `SELECT "actorType", "actorId", "actorName", summary FROM "Activity" WHERE "subjectId" = $1::uuid`,
      [agent.id],
    );
    expect(rows).toEqual([
      { actorType: 'user', actorId: named.userId, actorName: 'Ada Lovelace', summary: expect.stringContaining('by Ada Lovelace') },
    ]);
  });

  it('names a user without a name by email in the feed', async () => {
    const { headers } = await signIn(h.http, t.email, password);
    const agent = expectSuccess(await h.http.post('/api/v1/agents').set(headers).send({ name: 'Unnamed Owner Agent' }), 201);
    const rows = await h.db.sql<{ actorName: string }>(`SELECT "actorName" FROM "Activity" WHERE "subjectId" = $1::uuid`, [agent.id]);
    expect(rows).toEqual([{ actorName: t.email }]);
  });

  it('GET /me describes the user with no key; an Idempotency-Key is refused (400) rather than stored without a key', async () => {
    const { headers } = await signIn(h.http, t.email, password);
    const me = expectSuccess(await h.http.get('/api/v1/me').set(headers));
    expect(me).toMatchObject({ user: { id: t.userId }, org: { id: t.orgId }, role: 'owner', apiKey: null });
    const res = await h.http
      .post('/api/v1/agents')
      .set({ ...headers, 'Idempotency-Key': 'k-1' })
      .send({ name: 'Twice' });
    expect(expectError(res, 'BAD_REQUEST').details).toEqual([{ path: 'header.idempotency-key', message: expect.any(String) }]);
    expect(await h.db.prisma.agent.count({ where: { orgId: t.orgId, name: 'Twice' } })).toBe(0);
  });
});
