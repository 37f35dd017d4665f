import { createHash } from 'node:crypto';
import { verify } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PasswordStore } from '../server/data/passwords.js';
import { ApiError } from '../server/errors.js';
import { ageSession, signIn } from './helpers/browser-session.js';
import { expectError, expectInvalid, expectSuccess } from './helpers/envelope.js';
import { API } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

/**
 * Passwords (issue 14, server side): the policy, the Argon2id hash, one-time links through
 * POST /auth/password/set, the login check other code builds on, and a change ending the other sessions:
 * through the store (BrowserSession rows written by SQL, another user's among them) and over HTTP with
 * the dashboard's cookie sessions (POST /auth/login).
 */

// The real verify, counted: every failed login must run exactly one, with the cost of a real hash.
vi.mock('@node-rs/argon2', async (original) => {
  const real = await original<typeof import('@node-rs/argon2')>();
  return { ...real, verify: vi.fn(real.verify) };
});

let h: Harness;
let store: PasswordStore;
beforeAll(async () => {
  h = await startHarness();
  store = new PasswordStore(h.db.prisma);
});
afterAll(() => h.close());

const GOOD = 'tidal lantern orchard 42';
const PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

const setWithLink = (token: string, password: string) => h.http.post(`${API}/auth/password/set`).send({ token, password });
const storedHash = async (userId: string) =>
  (await h.db.prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { passwordHash: true } })).passwordHash;
const newLink = async (t: Tenant) => (await store.createLink(t.userId)).token;

/** 200 when the policy takes the password, else the 422 on body.password; the link is reused until it works. */
async function accepted(t: Tenant, password: string): Promise<boolean> {
  const res = await setWithLink(await newLink(t), password);
  if (res.status === 200) return true;
  const error = expectInvalid(res, 'VALIDATION_ERROR', ['body.password']);
  expect(error.message).toMatch(/^body\.password /);
  return false;
}

describe('the password policy', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });

  it('takes 12 to 128 characters and refuses 11 and 129', async () => {
    expect(await accepted(t, 'k'.repeat(11))).toBe(false);
    expect(await accepted(t, 'k'.repeat(12))).toBe(true);
    expect(await accepted(t, 'k'.repeat(128))).toBe(true);
    expect(await accepted(t, 'k'.repeat(129))).toBe(false);
  });

  it('counts code points, not UTF-16 units: an emoji is one character', async () => {
    // 6 emoji are 12 UTF-16 units but 6 characters; 100 are 200 units but 100 characters.
    expect(await accepted(t, '🔑'.repeat(6))).toBe(false);
    expect(await accepted(t, '🔑'.repeat(12))).toBe(true);
    expect(await accepted(t, '🔑'.repeat(100))).toBe(true);
    expect(await accepted(t, '🔑'.repeat(129))).toBe(false);
  });

  it('counts after NFC: "e" + combining accent is one character, and matches the precomposed "é"', async () => {
    const decomposed = 'e\u0301';
    expect(await accepted(t, decomposed.repeat(6))).toBe(false); // 12 code points as sent, 6 after NFC
    expect(await accepted(t, `${decomposed.repeat(11)}x`)).toBe(true); // 23 as sent, 12 after NFC
    expect(await store.verifyLogin(t.email, `${'\u00e9'.repeat(11)}x`)).toEqual({ userId: t.userId });
  });

  it('refuses a common password in any case, and a refused password leaves the link usable', async () => {
    const token = await newLink(t);
    for (const common of ['password1234', 'Password1234', 'QWERTYUIOP123', '1Qaz2Wsx3Edc']) {
      const error = expectInvalid(await setWithLink(token, common), 'VALIDATION_ERROR', ['body.password']);
      expect(error.details![0]!.message).toMatch(/most common passwords/);
    }
    expectSuccess(await setWithLink(token, GOOD));
  });

  it('imposes nothing else: no classes of characters, spaces kept as typed', async () => {
    expect(await accepted(t, 'only lowercase words here')).toBe(true);
    expect(await accepted(t, '   twelve   ')).toBe(true);
    expect(await store.verifyLogin(t.email, '   twelve   ')).toEqual({ userId: t.userId });
    expect(await store.verifyLogin(t.email, 'twelve')).toBeNull();
  });

  it('applies to the store and the admin path too, with the detail on "password"', async () => {
    const err = await store.setPassword(t.userId, 'short').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'password' }] });
  });
});

describe('one-time links', () => {
  it('set the password once: 200 with the user, then 404 for the same token', async () => {
    const t = await h.tenant();
    const { token, expiresAt } = await store.createLink(t.userId);
    expect(expiresAt.getTime() - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    expect(expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    expect(expectSuccess(await setWithLink(token, GOOD))).toEqual({ userId: t.userId, email: t.email });
    const again = expectError(await setWithLink(token, 'another good passphrase'), 'NOT_FOUND');
    expect(again.message).toMatch(/unknown, expired or already used/);
    expect(await store.verifyLogin(t.email, GOOD)).toEqual({ userId: t.userId });
    expect(await store.verifyLogin(t.email, 'another good passphrase')).toBeNull();
  });

  it('store only the SHA-256 of the token', async () => {
    const t = await h.tenant();
    const { token } = await store.createLink(t.userId);
    const rows = await h.db.prisma.passwordLink.findMany({ where: { userId: t.userId } });
    expect(rows.map((r) => r.tokenHash)).toEqual([createHash('sha256').update(token).digest('hex')]);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 bytes, base64url
  });

  it('answer an expired token and an unknown one exactly like a used one (404)', async () => {
    const t = await h.tenant();
    const { token } = await store.createLink(t.userId);
    await h.db.prisma.$executeRaw`UPDATE "PasswordLink" SET "expiresAt" = now() - interval '1 second' WHERE "userId" = ${t.userId}::uuid`;
    const expired = expectError(await setWithLink(token, GOOD), 'NOT_FOUND');
    const unknown = expectError(await setWithLink('x'.repeat(43), GOOD), 'NOT_FOUND');
    expect(expired.message).toBe(unknown.message);
    expect(await storedHash(t.userId)).toBeNull();
  });

  it('of two concurrent uses, exactly one wins', async () => {
    const t = await h.tenant();
    const token = await newLink(t);
    const results = await Promise.all([setWithLink(token, GOOD), setWithLink(token, 'another good passphrase')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 404]);
  });

  it('stay public: no key needed, but a key that is sent must be valid', async () => {
    const t = await h.tenant();
    const token = await newLink(t);
    const res = await h.http
      .post(`${API}/auth/password/set`)
      .set({ Authorization: `Bearer alm_test_${'0'.repeat(48)}` })
      .send({ token, password: GOOD });
    expectError(res, 'UNAUTHORIZED');
    expectSuccess(await setWithLink(token, GOOD));
  });

  it('refuse a body without token or password (400)', async () => {
    expectInvalid(await h.http.post(`${API}/auth/password/set`).send({ token: 'x' }), 'BAD_REQUEST', ['body.password']);
  });
});

describe('the stored hash', () => {
  it('is an Argon2id PHC string with the OWASP parameters, never the password', async () => {
    const t = await h.tenant();
    await store.setPassword(t.userId, GOOD);
    const row = await h.db.prisma.user.findUniqueOrThrow({ where: { id: t.userId } });
    expect(row.passwordHash).toMatch(PHC);
    expect(JSON.stringify(row)).not.toContain(GOOD);
    expect(row.passwordChangedAt).toBeInstanceOf(Date);
    // A fresh salt each time: the same password never gives the same hash.
    await store.setPassword(t.userId, GOOD);
    expect(await storedHash(t.userId)).not.toBe(row.passwordHash);
  });
});

describe('verifyLogin', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
    await store.setPassword(t.userId, GOOD);
  });

  it('finds the user by email in any case, and only with the right password', async () => {
    expect(await store.verifyLogin(t.email.toUpperCase(), GOOD)).toEqual({ userId: t.userId });
    expect(await store.verifyLogin(t.email, `${GOOD}!`)).toBeNull();
    expect(await store.verifyUser(t.userId, GOOD)).toBe(true);
    expect(await store.verifyUser(t.userId, `${GOOD}!`)).toBe(false);
  });

  it('runs one Argon2id verify with the real parameters for every failure, whoever is missing', async () => {
    const fresh = await h.tenant();
    const attempts: Array<[string, string]> = [
      ['nobody@example.test', GOOD],
      [fresh.email, GOOD],
      [t.email, `${GOOD}!`],
    ];
    for (const [email, password] of attempts) {
      vi.mocked(verify).mockClear();
      expect(await store.verifyLogin(email, password)).toBeNull();
      expect(vi.mocked(verify)).toHaveBeenCalledTimes(1);
      expect(vi.mocked(verify).mock.calls[0]![0]).toMatch(PHC);
    }
  });

  it('answers null for an unknown email, a user without a password, and a deleted user', async () => {
    expect(await store.verifyLogin('nobody@example.test', GOOD)).toBeNull();
    const fresh = await h.tenant();
    expect(await store.verifyLogin(fresh.email, GOOD)).toBeNull();
    expect(await store.verifyUser(fresh.userId, GOOD)).toBe(false);
    const gone = await h.tenant();
    await store.setPassword(gone.userId, GOOD);
    await h.db.prisma.user.update({ where: { id: gone.userId }, data: { deletedAt: new Date() } });
    expect(await store.verifyLogin(gone.email, GOOD)).toBeNull();
  });
});

describe('changing the password', () => {
  /** A live BrowserSession row of the tenant's user, written by SQL. */
  const session = async (t: Tenant): Promise<string> => {
    const rows = await h.db.prisma.$queryRaw<Array<{ id: string }>>`
      INSERT INTO "BrowserSession" ("tokenHash", "userId", "orgId", "expiresAt")
      VALUES (${createHash('sha256').update(String(Math.random())).digest('hex')}, ${t.userId}::uuid, ${t.orgId}::uuid, now() + interval '1 day')
      RETURNING id`;
    return rows[0]!.id;
  };
  const revoked = async (ids: string[]) => {
    const rows = await h.db.prisma.browserSession.findMany({ where: { id: { in: ids } }, select: { id: true, revokedAt: true } });
    return Object.fromEntries(rows.map((r) => [r.id, r.revokedAt !== null]));
  };

  it('needs the current password (403), and then ends every other session of the user only', async () => {
    const t = await h.tenant();
    const other = await h.colleague(t);
    await store.setPassword(t.userId, GOOD);
    const [own, second, third, colleagues] = [await session(t), await session(t), await session(t), await session(other)];

    const wrong = await store.change(t.userId, 'not my password!', 'a brand new passphrase', own).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: 'FORBIDDEN', message: 'The current password is wrong' });
    expect(await revoked([own, second, third])).toEqual({ [own]: false, [second]: false, [third]: false });
    expect(await store.verifyUser(t.userId, GOOD)).toBe(true);

    expect(await store.change(t.userId, GOOD, 'a brand new passphrase', own)).toEqual({ endedSessions: 2 });
    expect(await revoked([own, second, third, colleagues])).toEqual({ [own]: false, [second]: true, [third]: true, [colleagues]: false });
    expect(await store.verifyUser(t.userId, 'a brand new passphrase')).toBe(true);
    expect(await store.verifyUser(t.userId, GOOD)).toBe(false);
  });

  it('checks the new password against the policy, with the detail on body.newPassword', async () => {
    const t = await h.tenant();
    await store.setPassword(t.userId, GOOD);
    const err = await store.change(t.userId, GOOD, 'Password1234', null).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'body.newPassword' }] });
    expect(await store.verifyUser(t.userId, GOOD)).toBe(true);
  });

  it('through a link ends every session of the user, none kept', async () => {
    const t = await h.tenant();
    const [a, b] = [await session(t), await session(t)];
    expectSuccess(await setWithLink(await newLink(t), GOOD));
    expect(await revoked([a, b])).toEqual({ [a]: true, [b]: true });
  });

  it('is refused to API keys (browser-only, 403), and nothing changes', async () => {
    const t = await h.tenant();
    await store.setPassword(t.userId, GOOD);
    const res = await h.http
      .post(`${API}/auth/password/change`)
      .set(t.auth)
      .send({ currentPassword: GOOD, newPassword: 'a brand new passphrase' });
    expectError(res, 'FORBIDDEN');
    expect(await store.verifyUser(t.userId, GOOD)).toBe(true);
  });
});

describe('POST /auth/password/change with a dashboard session', () => {
  const NEW = 'a brand new passphrase';
  const change = (headers: Record<string, string>, currentPassword: string, newPassword: string) =>
    h.http.post(`${API}/auth/password/change`).set(headers).send({ currentPassword, newPassword });
  const sessionWorks = async (headers: Record<string, string>) => (await h.http.get(`${API}/auth/session`).set(headers)).status;

  it('refuses a wrong current password with 403 and changes nothing', async () => {
    const t = await h.tenant();
    await store.setPassword(t.userId, GOOD);
    const [a, b] = [await signIn(h.http, t.email, GOOD), await signIn(h.http, t.email, GOOD)];
    const error = expectError(await change(a.headers, 'not my password!', NEW), 'FORBIDDEN');
    expect(error).toMatchObject({ message: 'The current password is wrong', details: [{ path: 'body.currentPassword' }] });
    expect([await sessionWorks(a.headers), await sessionWorks(b.headers)]).toEqual([200, 200]);
    await signIn(h.http, t.email, GOOD);
  });

  it('with the right one: 200 { endedSessions }, this session stays, the others end, only the new password signs in', async () => {
    const t = await h.tenant();
    await store.setPassword(t.userId, GOOD);
    const [a, b, c] = [await signIn(h.http, t.email, GOOD), await signIn(h.http, t.email, GOOD), await signIn(h.http, t.email, GOOD)];
    expect(expectSuccess(await change(a.headers, GOOD, NEW))).toEqual({ endedSessions: 2 });
    expect([await sessionWorks(a.headers), await sessionWorks(b.headers), await sessionWorks(c.headers)]).toEqual([200, 401, 401]);
    expectError(
      await h.http.post(`${API}/auth/login`).set({ 'Sec-Fetch-Site': 'same-origin' }).send({ email: t.email, password: GOOD }),
      'UNAUTHORIZED',
    );
    await signIn(h.http, t.email, NEW);
  });

  it('checks the new password against the policy (422 on body.newPassword)', async () => {
    const t = await h.tenant();
    await store.setPassword(t.userId, GOOD);
    const a = await signIn(h.http, t.email, GOOD);
    expectInvalid(await change(a.headers, GOOD, 'Qwerty123456'), 'VALIDATION_ERROR', ['body.newPassword']);
    expectInvalid(await change(a.headers, GOOD, 'short'), 'VALIDATION_ERROR', ['body.newPassword']);
    await signIn(h.http, t.email, GOOD);
  });

  it('needs step-up: outside the window it is 403 "step-up required" and nothing changes', async () => {
    const t = await h.tenant();
    await store.setPassword(t.userId, GOOD);
    const a = await signIn(h.http, t.email, GOOD);
    await ageSession(h, a.token, 'stepUpAt', 60 * 60_000);
    expect(expectError(await change(a.headers, GOOD, NEW), 'FORBIDDEN').message).toContain('step-up required');
    expect(await store.verifyUser(t.userId, GOOD)).toBe(true);
  });

  it('a link-set password signs in through POST /auth/login', async () => {
    const t = await h.tenant();
    expectSuccess(await setWithLink(await newLink(t), GOOD));
    await signIn(h.http, t.email, GOOD);
  });
});
