import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../server/domain/device-login.js';
import { givePassword, signIn, ageSession } from './helpers/browser-session.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

/** CLI device login (RFC 8628) through HTTP: codes, polling, approval, denial, expiry, one use, tenancy. */
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
const start = async (clientName = 'alumia CLI') =>
  expectSuccess<{
    deviceCode: string;
    userCode: string;
    verificationUri: string;
    verificationUriComplete: string;
    interval: number;
    expiresIn: number;
  }>(await h.http.post('/api/v1/auth/device/code').send(clientName === undefined ? {} : { clientName }));
const poll = (deviceCode: string) => h.http.post('/api/v1/auth/device/token').send({ deviceCode });
const row = (deviceCode: string) => h.db.prisma.deviceLogin.findUniqueOrThrow({ where: { deviceCodeHash: sha256(deviceCode) } });
/** Moves the last poll back, as if the client had waited its interval. */
const waitInterval = async (deviceCode: string) => {
  const r = await row(deviceCode);
  await h.db.prisma.deviceLogin.update({ where: { id: r.id }, data: { lastPolledAt: new Date(Date.now() - (r.intervalSec + 1) * 1000) } });
};
function expectPollError(res: Parameters<typeof expectError>[0], reason: string) {
  const error = expectError(res, 'BAD_REQUEST');
  expect(error.details).toEqual([{ path: 'body.deviceCode', message: reason }]);
  return error;
}
const approve = (headers: Record<string, string>, userCode: string) =>
  h.http.post('/api/v1/auth/device/approve').set(headers).send({ userCode });
const deny = (headers: Record<string, string>, userCode: string) => h.http.post('/api/v1/auth/device/deny').set(headers).send({ userCode });
const lookup = (headers: Record<string, string>, userCode: string) => h.http.get('/api/v1/auth/device').query({ userCode }).set(headers);

describe('device codes', () => {
  it('answers the RFC 8628 fields: a base64url device code of 32 bytes, an XXXX-XXXX user code, the URIs, 5 s, 900 s', async () => {
    const d = await start('alumia CLI');
    expect(d.deviceCode).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(d.userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(d.verificationUri).toMatch(/^http:\/\/127\.0\.0\.1(:\d+)?\/dashboard\/device$/);
    expect(d.verificationUriComplete).toBe(`${d.verificationUri}?code=${d.userCode}`);
    expect(d.interval).toBe(5);
    expect(d.expiresIn).toBe(900);
  });

  it('stores only hashes: neither code is in the row', async () => {
    const d = await start('hash check');
    const r = await row(d.deviceCode);
    expect(JSON.stringify(r)).not.toContain(d.deviceCode);
    expect(JSON.stringify(r)).not.toContain(d.userCode.replace('-', ''));
    expect(r.deviceCodeHash).toBe(sha256(d.deviceCode));
  });

  it('refuses unknown fields and a missing name (400) and empty names (422)', async () => {
    expectError(await h.http.post('/api/v1/auth/device/code').send({ clientName: 'x', other: 1 }), 'BAD_REQUEST');
    expectError(await h.http.post('/api/v1/auth/device/code').send({}), 'BAD_REQUEST');
    expectError(await h.http.post('/api/v1/auth/device/code').send({ clientName: '' }), 'VALIDATION_ERROR');
  });
});

describe('polling', () => {
  it('answers authorization_pending, then slow_down when too early, and the interval grows by 5 s each time', async () => {
    const d = await start();
    expectPollError(await poll(d.deviceCode), 'authorization_pending');
    const slow = expectPollError(await poll(d.deviceCode), 'slow_down');
    expect(slow.message).toContain('10 s');
    expect((await row(d.deviceCode)).intervalSec).toBe(10);
    expectPollError(await poll(d.deviceCode), 'slow_down');
    expect((await row(d.deviceCode)).intervalSec).toBe(15);
    await waitInterval(d.deviceCode);
    expectPollError(await poll(d.deviceCode), 'authorization_pending');
  });

  it('answers expired_token for an unknown device code', async () => {
    expectPollError(await poll('not-a-device-code'), 'expired_token');
  });

  it('answers expired_token once the code has expired, and the user code is then 404', async () => {
    const d = await start();
    await h.db.prisma.deviceLogin.update({ where: { id: (await row(d.deviceCode)).id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expectPollError(await poll(d.deviceCode), 'expired_token');
    const { headers } = await signIn(h.http, t.email, password);
    expectError(await lookup(headers, d.userCode), 'NOT_FOUND');
    expectError(await approve(headers, d.userCode), 'NOT_FOUND');
  });
});

describe('approval', () => {
  it('shows the client name and code, approves, and the poll gets a working key named after the device login, once', async () => {
    const d = await start('alumia CLI on ada-laptop');
    const { headers } = await signIn(h.http, t.email, password);
    // Case-insensitive, dash optional.
    const seen = expectSuccess(await lookup(headers, d.userCode.replace('-', '').toLowerCase()));
    expect(seen).toEqual({
      userCode: d.userCode,
      clientName: 'alumia CLI on ada-laptop',
      expiresAt: expect.any(String),
      status: 'pending',
    });
    expect(expectSuccess(await approve(headers, d.userCode)).status).toBe('approved');
    const key = expectSuccess(await poll(d.deviceCode));
    expect(key.key).toMatch(/^alm_test_[0-9a-f]{48}$/);
    expect(key.name).toBe('Device login: alumia CLI on ada-laptop');
    expect(key.scopes).toEqual(['*']);
    const me = expectSuccess(await h.http.get('/api/v1/me').set({ Authorization: `Bearer ${key.key}` }));
    // The approving user, in the approving session's org and current workspace.
    expect(me.user.id).toBe(t.userId);
    expect(me.org.id).toBe(t.orgId);
    expect(me.currentWorkspace.id).toBe(t.workspaceId);
    // One use: the code is spent.
    expectPollError(await poll(d.deviceCode), 'expired_token');
    // Hashed like every key; an activity row names the key, not its secret.
    const stored = await h.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(stored.hash).not.toBe(key.key);
    expect(stored.orgId).toBe(t.orgId);
    const activity = await h.db.prisma.activity.findMany({ where: { subjectId: key.id } });
    expect(activity.map((a) => a.kind)).toEqual(['api_key.minted']);
    expect(JSON.stringify(activity)).not.toContain(key.key);
  });

  it('needs step-up to approve (403 step-up required) and changes nothing; deny needs none', async () => {
    const d = await start();
    const { token, headers } = await signIn(h.http, t.email, password);
    await ageSession(h, token, 'stepUpAt', 11 * MINUTE);
    expect(expectError(await approve(headers, d.userCode), 'FORBIDDEN').message).toContain('step-up required');
    expect((await row(d.deviceCode)).status).toBe('pending');
    expect(expectSuccess(await deny(headers, d.userCode)).status).toBe('denied');
  });

  it('denied: the poll answers access_denied, and it cannot be approved afterwards', async () => {
    const d = await start();
    const { headers } = await signIn(h.http, t.email, password);
    expectSuccess(await deny(headers, d.userCode));
    expectPollError(await poll(d.deviceCode), 'access_denied');
    expectError(await approve(headers, d.userCode), 'NOT_FOUND');
  });

  it('refuses API keys on the dashboard operations with 403', async () => {
    const d = await start();
    expectError(await lookup(t.auth, d.userCode), 'FORBIDDEN');
    expectError(await approve(t.auth, d.userCode), 'FORBIDDEN');
    expectError(await deny(t.auth, d.userCode), 'FORBIDDEN');
    expect((await row(d.deviceCode)).status).toBe('pending');
  });

  it('refuses signed-out callers with 401 and wrong codes with 404', async () => {
    const d = await start();
    expectError(await h.http.get('/api/v1/auth/device').query({ userCode: d.userCode }), 'UNAUTHORIZED');
    const { headers } = await signIn(h.http, t.email, password);
    expectError(await lookup(headers, 'BBBB-BBBB'), 'NOT_FOUND');
    expectError(await lookup(headers, 'AAAA-AAAA'), 'NOT_FOUND');
    expectError(await approve(headers, 'nope'), 'NOT_FOUND');
  });

  it('cross-org: once approved in one org, another org’s user sees 404 and cannot deny it; the key stays in the approver’s org', async () => {
    const other = await h.tenant();
    const otherPassword = await givePassword(h, other);
    const d = await start();
    const mine = await signIn(h.http, t.email, password);
    const theirs = await signIn(h.http, other.email, otherPassword);
    expectSuccess(await approve(mine.headers, d.userCode));
    expectError(await lookup(theirs.headers, d.userCode), 'NOT_FOUND');
    expectError(await deny(theirs.headers, d.userCode), 'NOT_FOUND');
    const key = expectSuccess(await poll(d.deviceCode));
    const stored = await h.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(stored.orgId).toBe(t.orgId);
    expect(stored.userId).toBe(t.userId);
  });

  it('never writes the key or the device code to the log', async () => {
    const start0 = h.logs.length;
    const d = await start('log check');
    const { headers } = await signIn(h.http, t.email, password);
    expectSuccess(await approve(headers, d.userCode));
    const key = expectSuccess(await poll(d.deviceCode));
    const logs = h.logs.slice(start0).join('\n');
    expect(logs).toContain('/api/v1/auth/device/token');
    expect(logs).not.toContain(key.key);
    expect(logs).not.toContain(d.deviceCode);
  });
});

describe('rate limit', () => {
  it('limits device codes per client IP like the other sensitive routes: 400 Too many requests', async () => {
    const limited = await h.rebuild({ DISABLE_RATE_LIMIT: '0', KEY_MINT_LIMIT_PER_MINUTE: '2' });
    const ask = () => limited.http.post('/api/v1/auth/device/code').send({ clientName: 'flood' });
    expectSuccess(await ask());
    expectSuccess(await ask());
    expect(expectError(await ask(), 'BAD_REQUEST').message).toContain('Too many requests');
  });
});
