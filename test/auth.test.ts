import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashKey } from '../server/domain/keys.js';
import { expectError, expectSuccess, type HttpResult } from './helpers/envelope.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
});
afterAll(() => h.close());

const hex48 = () => randomBytes(24).toString('hex');
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** 401 UNAUTHORIZED in the envelope, with the challenge header. */
function expectUnauthorized(res: HttpResult) {
  const error = expectError(res, 'UNAUTHORIZED');
  expect(res.headers['www-authenticate']).toBe('Bearer');
  return error;
}

/** Revokes a key behind the API's back, found by its hash as the server finds it. */
const revokeInDb = (key: string) => h.db.prisma.apiKey.update({ where: { hash: hashKey(key) }, data: { revokedAt: new Date() } });

describe('401 UNAUTHORIZED with WWW-Authenticate: Bearer', () => {
  it('without an Authorization header', async () => {
    expectUnauthorized(await h.http.get('/api/v1/me'));
    expectUnauthorized(await h.http.get('/api/v1/api-keys'));
    expectUnauthorized(await h.http.post('/api/v1/api-keys').send({ name: 'k' }));
  });

  it('with another scheme, or Bearer with nothing after it', async () => {
    const basic = `Basic ${Buffer.from(`user:${t.key}`).toString('base64')}`;
    expectUnauthorized(await h.http.get('/api/v1/me').set('Authorization', basic));
    expectUnauthorized(await h.http.get('/api/v1/me').set('Authorization', t.key));
    expectUnauthorized(await h.http.get('/api/v1/me').set('Authorization', 'Bearer'));
    expectUnauthorized(await h.http.get('/api/v1/me').set('Authorization', 'Bearer '));
    expectUnauthorized(await h.http.get('/api/v1/me').set('Authorization', `Bearer ${t.key} extra`));
  });

  it('with a malformed key: wrong length, uppercase hex, non-hex, wrong prefix', async () => {
    const suffix = t.key.slice('alm_test_'.length);
    for (const key of [
      t.key.slice(0, -1),
      `${t.key}0`,
      `alm_test_${suffix.toUpperCase()}`,
      `alm_test_${'g'.repeat(48)}`,
      `alm_prod_${suffix}`,
      `sk_test_${suffix}`,
      `ALM_TEST_${suffix}`,
      suffix,
    ]) {
      expectUnauthorized(await h.http.get('/api/v1/me').set(bearer(key)));
    }
  });

  it('with a well-formed key that was never minted', async () => {
    expectUnauthorized(await h.http.get('/api/v1/me').set(bearer(`alm_test_${hex48()}`)));
  });

  it('with a revoked key', async () => {
    const key = await h.keyWithScopes(t, ['*']);
    await revokeInDb(key);
    expectUnauthorized(await h.http.get('/api/v1/me').set(bearer(key)));
  });

  it('with an expired key, and not with one that expires later', async () => {
    const expired = await h.keyWithScopes(t, ['*'], new Date(Date.now() - 1000));
    expectUnauthorized(await h.http.get('/api/v1/me').set(bearer(expired)));
    const later = await h.keyWithScopes(t, ['*'], new Date(Date.now() + 3_600_000));
    expectSuccess(await h.http.get('/api/v1/me').set(bearer(later)));
  });

  it('with an alm_live_ key on a test-mode server', async () => {
    const live = await h.mintKey(t, { env: 'live' });
    expectUnauthorized(await h.http.get('/api/v1/me').set(bearer(live)));
  });

  it('with an alm_test_ key on a production server (which takes the live key)', async () => {
    const prod = await h.rebuild({ NODE_ENV: 'production' });
    expectUnauthorized(await prod.http.get('/api/v1/me').set(t.auth));
    const live = await h.mintKey(t, { env: 'live' });
    expect(expectSuccess(await prod.http.get('/api/v1/me').set(bearer(live))).apiKey.env).toBe('live');
  });

  it('with a key whose organization was deleted, within the one-second key cache', async () => {
    const gone = await h.tenant();
    expectSuccess(await h.http.get('/api/v1/me').set(gone.auth));
    await h.db.prisma.organization.update({ where: { id: gone.orgId }, data: { deletedAt: new Date() } });
    // The identity behind a key is cached for at most 1 s (revocations through the API evict it at once).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expectUnauthorized(await h.http.get('/api/v1/me').set(gone.auth));
  });

  it('with a key whose user was deleted', async () => {
    const gone = await h.tenant();
    await h.db.prisma.user.update({ where: { id: gone.userId }, data: { deletedAt: new Date() } });
    expectUnauthorized(await h.http.get('/api/v1/me').set(gone.auth));
  });

  it('with a key whose user is no longer a member of the organization', async () => {
    const member = await h.colleague(t);
    await h.db.prisma.membership.deleteMany({ where: { orgId: t.orgId, userId: member.userId } });
    expectUnauthorized(await h.http.get('/api/v1/me').set(member.auth));
  });
});

describe('valid keys', () => {
  it('are accepted with the scheme name in any case, as HTTP allows', async () => {
    expectSuccess(await h.http.get('/api/v1/me').set('Authorization', `Bearer ${t.key}`));
    expectSuccess(await h.http.get('/api/v1/me').set('Authorization', `bearer ${t.key}`));
    expectSuccess(await h.http.get('/api/v1/me').set('Authorization', `BEARER ${t.key}`));
  });
});

describe('scopes', () => {
  it('a key with only agents:read gets 403 FORBIDDEN on routes that need keys:read or keys:write', async () => {
    const key = await h.keyWithScopes(t, ['agents:read']);
    expect(expectError(await h.http.get('/api/v1/api-keys').set(bearer(key)), 'FORBIDDEN').message).toMatch(/keys:read/);
    const before = await h.db.prisma.apiKey.count({ where: { orgId: t.orgId } });
    expect(expectError(await h.http.post('/api/v1/api-keys').set(bearer(key)).send({ name: 'k' }), 'FORBIDDEN').message).toMatch(
      /keys:write/,
    );
    expect(await h.db.prisma.apiKey.count({ where: { orgId: t.orgId } })).toBe(before);
    const victim = await h.db.prisma.apiKey.findFirstOrThrow({ where: { orgId: t.orgId, revokedAt: null } });
    expectError(await h.http.delete(`/api/v1/api-keys/${victim.id}`).set(bearer(key)), 'FORBIDDEN');
    expect((await h.db.prisma.apiKey.findUniqueOrThrow({ where: { id: victim.id } })).revokedAt).toBeNull();
  });

  it('keys:read lists keys but cannot mint them', async () => {
    const key = await h.keyWithScopes(t, ['keys:read']);
    expectSuccess(await h.http.get('/api/v1/api-keys').set(bearer(key)));
    expectError(await h.http.post('/api/v1/api-keys').set(bearer(key)).send({ name: 'k' }), 'FORBIDDEN');
  });

  it('the * scope grants everything', async () => {
    expectSuccess(await h.http.get('/api/v1/api-keys').set(t.auth));
    expectSuccess(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'star' }), 201);
  });

  it('GET /me, /workspaces and /models work with any valid key, whatever its scopes', async () => {
    const key = await h.keyWithScopes(t, ['agents:read']);
    const me = expectSuccess(await h.http.get('/api/v1/me').set(bearer(key)));
    expect(me.apiKey?.scopes).toEqual(['agents:read']);
    expectSuccess(await h.http.get('/api/v1/workspaces').set(bearer(key)));
    expectSuccess(await h.http.get('/api/v1/models').set(bearer(key)));
  });
});

describe('revocation', () => {
  it('takes effect on the very next request', async () => {
    const minted = expectSuccess(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'short-lived' }), 201);
    expectSuccess(await h.http.get('/api/v1/me').set(bearer(minted.key)));
    expectSuccess(await h.http.delete(`/api/v1/api-keys/${minted.id}`).set(t.auth));
    expectUnauthorized(await h.http.get('/api/v1/me').set(bearer(minted.key)));
  });

  it('a key may revoke itself, and is refused from then on', async () => {
    const minted = expectSuccess(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'self' }), 201);
    expectSuccess(await h.http.delete(`/api/v1/api-keys/${minted.id}`).set(bearer(minted.key)));
    expectUnauthorized(await h.http.get('/api/v1/me').set(bearer(minted.key)));
  });
});

describe('lastUsedAt', () => {
  const row = (id: string) => h.db.prisma.apiKey.findUniqueOrThrow({ where: { id } });

  it('is recorded after a request', async () => {
    const minted = expectSuccess(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'used' }), 201);
    expect((await row(minted.id)).lastUsedAt).toBeNull();
    const before = Date.now();
    expectSuccess(await h.http.get('/api/v1/me').set(bearer(minted.key)));
    // The write is off the request path, so wait for it rather than for the response.
    const recorded = await vi.waitFor(
      async () => {
        const at = (await row(minted.id)).lastUsedAt;
        expect(at).not.toBeNull();
        return at!;
      },
      { timeout: 5000 },
    );
    expect(recorded.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(recorded.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    // And the API shows it.
    const listed = expectSuccess(await h.http.get('/api/v1/api-keys?limit=100').set(t.auth)).items.find(
      (k: { id: string }) => k.id === minted.id,
    );
    expect(listed.lastUsedAt).toBe(recorded.toISOString());
  });

  it('is not written again by requests within the same minute', async () => {
    const minted = expectSuccess(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'busy' }), 201);
    // A use 30 s ago: recent enough that further requests must not write.
    const recent = new Date(Date.now() - 30_000);
    await h.db.prisma.apiKey.update({ where: { id: minted.id }, data: { lastUsedAt: recent } });
    for (let i = 0; i < 3; i++) expectSuccess(await h.http.get('/api/v1/me').set(bearer(minted.key)));
    // Give a (wrong) fire-and-forget write ample time to land before looking.
    await sleep(300);
    expect((await row(minted.id)).lastUsedAt!.toISOString()).toBe(recent.toISOString());
  });

  it('is written again once the minute has passed', async () => {
    const minted = expectSuccess(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'stale' }), 201);
    const old = new Date(Date.now() - 120_000);
    await h.db.prisma.apiKey.update({ where: { id: minted.id }, data: { lastUsedAt: old } });
    expectSuccess(await h.http.get('/api/v1/me').set(bearer(minted.key)));
    await vi.waitFor(async () => expect((await row(minted.id)).lastUsedAt!.getTime()).toBeGreaterThan(old.getTime() + 60_000), {
      timeout: 5000,
    });
  });
});

describe('logs', () => {
  it('never contain a key, its 48-hex secret, or the Authorization header value', async () => {
    const owner = await h.tenant();
    const minted = expectSuccess(await h.http.post('/api/v1/api-keys').set(owner.auth).send({ name: 'logged' }), 201);
    const revoked = await h.keyWithScopes(owner, ['*']);
    await revokeInDb(revoked);
    const unknown = `alm_test_${hex48()}`;
    const live = await h.mintKey(owner, { env: 'live' });
    const scoped = await h.keyWithScopes(owner, ['agents:read']);
    const basic = `Basic ${Buffer.from(`u:${owner.key}`).toString('base64')}`;

    await h.http.get('/api/v1/me').set(owner.auth);
    await h.http.get('/api/v1/me').set(bearer(minted.key));
    await h.http.get('/api/v1/me').set(bearer(revoked));
    await h.http.get('/api/v1/me').set(bearer(unknown));
    await h.http.get('/api/v1/me').set(bearer(live));
    await h.http.get('/api/v1/api-keys').set(bearer(scoped));
    await h.http.get('/api/v1/me').set(bearer(`${owner.key}x`));
    await h.http.get('/api/v1/me').set('Authorization', basic);
    await h.http.get('/api/v1/nope').set(owner.auth);
    await h.http.post('/api/v1/api-keys').set(owner.auth).send({ name: 5 });
    await h.http.post('/api/v1/api-keys').set(owner.auth).set('Content-Type', 'application/json').send('{bad');
    const prod = await h.rebuild({ NODE_ENV: 'production' });
    await prod.http.get('/api/v1/me').set(bearer(live));
    await prod.http.get('/api/v1/me').set(owner.auth);

    const logs = h.logs.join('\n');
    // The requests were logged at all, so the absence below means something.
    expect(logs).toContain('/api/v1/me');
    for (const key of [owner.key, minted.key, revoked, unknown, live, scoped]) {
      expect(logs).not.toContain(key);
      expect(logs).not.toContain(key.slice(-48));
      expect(logs).not.toContain(`Bearer ${key}`);
    }
    expect(logs).not.toContain(basic);
  });
});
