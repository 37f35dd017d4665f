import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretBoxFor } from '../server/data/secret-box.js';
import { ageSession, givePassword, signIn, SAME_ORIGIN } from './helpers/browser-session.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API, createAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

/**
 * Webhook endpoints through HTTP: management only from a stepped-up dashboard session of an owner or
 * admin, reads with a key too, the URL checked against the SSRF rules, the secret shown once and stored
 * sealed, rotation, and which activity becomes a delivery (the database's fan-out trigger).
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

// A public address literal: the create check resolves nothing and connects nowhere.
const PUBLIC_URL = 'https://93.184.215.14/alumia';
const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

type Person = Tenant & { cookie: Record<string, string>; token: string };
const person = async (t: Tenant): Promise<Person> => {
  const { headers, token } = await signIn(h.http, t.email, await givePassword(h, t));
  return { ...t, cookie: headers, token };
};
async function org() {
  const owner = await h.tenant();
  return {
    owner: await person(owner),
    admin: await person(await h.colleague(owner, { role: 'admin' })),
    member: await person(await h.colleague(owner, { role: 'member' })),
  };
}

const create = (who: Record<string, string>, body: Record<string, unknown>) => h.http.post(`${API}/webhooks`).set(who).send(body);
const patch = (who: Record<string, string>, id: string, body: Record<string, unknown>) =>
  h.http.patch(`${API}/webhooks/${id}`).set(who).send(body);
const remove = (who: Record<string, string>, id: string) => h.http.delete(`${API}/webhooks/${id}`).set(who);
const rotate = (who: Record<string, string>, id: string) => h.http.post(`${API}/webhooks/${id}/rotate-secret`).set(who);
const read = (who: Record<string, string>, id: string) => h.http.get(`${API}/webhooks/${id}`).set(who);
const made = async (who: Record<string, string>, body: Record<string, unknown> = {}) =>
  expectSuccess(await create(who, { url: PUBLIC_URL, events: ['*'], ...body }), 201);
const row = (id: string) => h.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id } });
const deliveriesOf = (endpointId: string) => h.db.prisma.webhookDelivery.findMany({ where: { endpointId }, orderBy: { createdAt: 'asc' } });
const box = () => secretBoxFor(h.config.secretsKey);

describe('POST /webhooks', () => {
  it('creates an endpoint, shows its secret once and stores it only sealed, and writes webhook.created org-wide', async () => {
    const { owner, admin, member } = await org();
    const hook = await made(owner.cookie, { events: ['agent.*', 'session.created'], description: 'Ticket sync' });
    expect(hook).toMatchObject({
      url: PUBLIC_URL,
      description: 'Ticket sync',
      events: ['agent.*', 'session.created'],
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      secretRotatedAt: null,
      previousSecretExpiresAt: null,
    });
    expect(hook.secret).toMatch(SECRET);
    const stored = await row(hook.id);
    expect(stored.secret).not.toContain(hook.secret);
    expect(stored.secret).not.toContain(hook.secret.slice(6));
    expect(box().open(stored.secret)).toBe(hook.secret);
    // Never again: not in a read, a list, or a change.
    const again = expectSuccess(await read(owner.auth, hook.id));
    expect(again).not.toHaveProperty('secret');
    expect(JSON.stringify(expectSuccess(await h.http.get(`${API}/webhooks`).set(owner.auth)))).not.toContain(hook.secret);
    expect(JSON.stringify(expectSuccess(await patch(owner.cookie, hook.id, { description: 'x' })))).not.toContain(hook.secret);
    const [activity] = await h.db.prisma.activity.findMany({ where: { orgId: owner.orgId, kind: 'webhook.created' } });
    expect(activity).toMatchObject({
      subjectType: 'webhook',
      subjectId: hook.id,
      subjectName: 'Ticket sync',
      workspaceId: null,
      actorId: owner.userId,
    });
    expect(JSON.stringify(activity)).not.toContain(hook.secret);
    // Endpoints are for owners and admins: so is their feed row (like an invite's), not for members.
    expect(activity!.privateToUserId).toBe(owner.userId);
    expectSuccess(await h.http.get(`${API}/activity/${activity!.id}`).set(admin.auth));
    expectError(await h.http.get(`${API}/activity/${activity!.id}`).set(member.auth), 'NOT_FOUND');
  });

  it('names an endpoint without a description by its host, and defaults the description to empty', async () => {
    const { owner } = await org();
    const hook = await made(owner.cookie);
    expect(hook.description).toBe('');
    const [activity] = await h.db.prisma.activity.findMany({ where: { subjectId: hook.id } });
    expect(activity!.subjectName).toBe('93.184.215.14');
  });

  it('is browser-only: an API key gets 403 even for the owner, a session without step-up gets the step-up 403', async () => {
    const { owner } = await org();
    expectError(await create(owner.auth, { url: PUBLIC_URL, events: ['*'] }), 'FORBIDDEN');
    await ageSession(h, owner.token, 'stepUpAt', 11 * 60_000);
    const error = expectError(await create(owner.cookie, { url: PUBLIC_URL, events: ['*'] }), 'FORBIDDEN');
    expect(error.message).toContain('step-up required');
    expect(await h.db.prisma.webhookEndpoint.count({ where: { orgId: owner.orgId } })).toBe(0);
  });

  it('lets owners and admins manage endpoints, and refuses members with 403 on every operation, reads too', async () => {
    const { owner, admin, member } = await org();
    const hook = await made(admin.cookie);
    expectSuccess(await patch(owner.cookie, hook.id, { description: 'by owner' }));
    const memberKey = { Authorization: `Bearer ${member.key}` };
    expectError(await create(member.cookie, { url: PUBLIC_URL, events: ['*'] }), 'FORBIDDEN');
    expectError(await patch(member.cookie, hook.id, { description: 'no' }), 'FORBIDDEN');
    expectError(await rotate(member.cookie, hook.id), 'FORBIDDEN');
    expectError(await remove(member.cookie, hook.id), 'FORBIDDEN');
    expectError(await read(memberKey, hook.id), 'FORBIDDEN');
    expectError(await h.http.get(`${API}/webhooks`).set(memberKey), 'FORBIDDEN');
    expectError(await h.http.get(`${API}/webhooks/${hook.id}/deliveries`).set(memberKey), 'FORBIDDEN');
    expect((await row(hook.id)).description).toBe('by owner');
  });

  it('refuses loopback and private targets without WEBHOOK_ALLOW_PRIVATE, and allows them with it', async () => {
    const { owner } = await org();
    for (const url of [
      'http://127.0.0.1:9/x',
      'http://10.0.0.1/x',
      'http://[::1]/x',
      'http://169.254.169.254/latest',
      'http://localhost/x',
    ]) {
      const error = expectError(await create(owner.cookie, { url, events: ['*'] }), 'VALIDATION_ERROR');
      expect(error.details, url).toEqual([{ path: 'url', message: expect.stringContaining('non-public address') }]);
    }
    expectError(await create(owner.cookie, { url: 'https://user:pw@93.184.215.14/x', events: ['*'] }), 'VALIDATION_ERROR');
    const hook = await made(owner.cookie);
    expectError(await patch(owner.cookie, hook.id, { url: 'http://127.0.0.1/x' }), 'VALIDATION_ERROR');
    expect((await row(hook.id)).url).toBe(PUBLIC_URL);

    const lax = await h.rebuild({ WEBHOOK_ALLOW_PRIVATE: '1' });
    const ok = expectSuccess(
      await lax.http
        .post(`${API}/webhooks`)
        .set(owner.cookie)
        .send({ url: 'http://127.0.0.1:9/x', events: ['*'] }),
      201,
    );
    expect(ok.url).toBe('http://127.0.0.1:9/x');
  });

  it('in production refuses http and private targets even with WEBHOOK_ALLOW_PRIVATE', async () => {
    const { owner } = await org();
    const prod = await h.rebuild({ NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE: '1' });
    const send = (url: string) =>
      prod.http
        .post(`${API}/webhooks`)
        .set(owner.cookie)
        .send({ url, events: ['*'] });
    expect(expectError(await send('http://93.184.215.14/x'), 'VALIDATION_ERROR').details).toEqual([
      { path: 'url', message: 'url must be https' },
    ]);
    expectError(await send('https://127.0.0.1/x'), 'VALIDATION_ERROR');
    expectSuccess(await send(PUBLIC_URL), 201);
  });

  it('refuses an event filter that names no activity kind, with its position', async () => {
    const { owner } = await org();
    const error = expectError(
      await create(owner.cookie, { url: PUBLIC_URL, events: ['agent.*', 'agent.exploded', 'nothing.*'] }),
      'VALIDATION_ERROR',
    );
    expect(error.details).toEqual([
      { path: 'body.events.1', message: expect.any(String) },
      { path: 'body.events.2', message: expect.any(String) },
    ]);
  });
});

describe('PATCH /webhooks/{id}', () => {
  it('changes the given fields, writes webhook.updated naming them only, and disabling stops deliveries', async () => {
    const { owner } = await org();
    const hook = await made(owner.cookie);
    const changed = expectSuccess(
      await patch(owner.cookie, hook.id, { events: ['agent.*'], description: 'renamed', url: 'https://93.184.215.15/y' }),
    );
    expect(changed).toMatchObject({ events: ['agent.*'], description: 'renamed', url: 'https://93.184.215.15/y' });
    const [updated] = await h.db.prisma.activity.findMany({ where: { subjectId: hook.id, kind: 'webhook.updated' } });
    expect(updated!.details).toEqual({ fields: ['description', 'events', 'url'] });
    expect(updated!.summary).not.toContain('93.184.215.15');

    await createAgent(h, owner, { name: 'Before Disable' });
    const pending = (await deliveriesOf(hook.id)).filter((d) => d.status === 'pending');
    expect(pending.length).toBeGreaterThan(0);
    const off = expectSuccess(await patch(owner.cookie, hook.id, { enabled: false }));
    expect(off).toMatchObject({ enabled: false, disabledReason: 'manual', disabledAt: expect.any(String) });
    // Waiting deliveries are given up; new activity makes none.
    expect((await deliveriesOf(hook.id)).filter((d) => d.status === 'pending')).toEqual([]);
    const count = (await deliveriesOf(hook.id)).length;
    await createAgent(h, owner, { name: 'While Disabled' });
    expect((await deliveriesOf(hook.id)).length).toBe(count);
  });

  it('keeps the reason of an endpoint the server disabled, and enabling clears reason, time and failure streak', async () => {
    const { owner } = await org();
    const hook = await made(owner.cookie);
    const gone = new Date(Date.now() - 60_000);
    await h.db.prisma.webhookEndpoint.update({
      where: { id: hook.id },
      data: { enabled: false, disabledReason: 'gone', disabledAt: gone, failingSince: gone },
    });
    expect(expectSuccess(await patch(owner.cookie, hook.id, { enabled: false }))).toMatchObject({
      disabledReason: 'gone',
      disabledAt: gone.toISOString(),
    });
    const on = expectSuccess(await patch(owner.cookie, hook.id, { enabled: true }));
    expect(on).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
    expect((await row(hook.id)).failingSince).toBeNull();
  });

  it('is browser-only and 404s for another org', async () => {
    const { owner } = await org();
    const hook = await made(owner.cookie);
    expectError(await patch(owner.auth, hook.id, { description: 'key' }), 'FORBIDDEN');
    const stranger = await person(await h.tenant());
    expectError(await patch(stranger.cookie, hook.id, { description: 'x' }), 'NOT_FOUND');
    expectError(await read(stranger.auth, hook.id), 'NOT_FOUND');
    expectError(await rotate(stranger.cookie, hook.id), 'NOT_FOUND');
    expectError(await remove(stranger.cookie, hook.id), 'NOT_FOUND');
    expect((await row(hook.id)).deletedAt).toBeNull();
  });
});

describe('DELETE /webhooks/{id}', () => {
  it('soft-deletes, gives up pending deliveries in the same change, answers a repeat alike, writes one row', async () => {
    const { owner } = await org();
    const hook = await made(owner.cookie);
    await createAgent(h, owner, { name: 'Pending One' });
    expect((await deliveriesOf(hook.id)).some((d) => d.status === 'pending')).toBe(true);
    expect(expectSuccess(await remove(owner.cookie, hook.id))).toEqual({ deleted: true });
    expect(expectSuccess(await remove(owner.cookie, hook.id))).toEqual({ deleted: true });
    expect((await row(hook.id)).deletedAt).not.toBeNull();
    const after = await deliveriesOf(hook.id);
    expect(after.filter((d) => d.status === 'pending')).toEqual([]);
    expect(after.every((d) => d.status === 'failed' && d.nextAttemptAt === null)).toBe(true);
    expect(await h.db.prisma.activity.count({ where: { subjectId: hook.id, kind: 'webhook.deleted' } })).toBe(1);
    expectError(await read(owner.auth, hook.id), 'NOT_FOUND');
    expect(expectSuccess(await h.http.get(`${API}/webhooks`).set(owner.auth)).items).toEqual([]);
    // A deleted endpoint receives nothing new.
    await createAgent(h, owner, { name: 'After Delete' });
    expect((await deliveriesOf(hook.id)).length).toBe(after.length);
  });
});

describe('POST /webhooks/{id}/rotate-secret', () => {
  it('mints a new secret shown once, keeps the old one sealed for 24 hours, and writes webhook.secret_rotated', async () => {
    const { owner } = await org();
    const hook = await made(owner.cookie);
    const started = Date.now();
    const rotated = expectSuccess(await rotate(owner.cookie, hook.id));
    expect(rotated.secret).toMatch(SECRET);
    expect(rotated.secret).not.toBe(hook.secret);
    const stored = await row(hook.id);
    expect(box().open(stored.secret)).toBe(rotated.secret);
    expect(box().open(stored.previousSecret!)).toBe(hook.secret);
    expect(stored.previousSecret).not.toContain(hook.secret);
    expect(rotated.secretRotatedAt).toBe(stored.secretRotatedAt!.toISOString());
    expect(stored.secretRotatedAt!.getTime()).toBeGreaterThanOrEqual(started - 1000);
    expect(stored.previousSecretExpiresAt!.getTime() - stored.secretRotatedAt!.getTime()).toBe(24 * 60 * 60 * 1000);
    expect(rotated.previousSecretExpiresAt).toBe(stored.previousSecretExpiresAt!.toISOString());
    const activity = await h.db.prisma.activity.findMany({ where: { subjectId: hook.id, kind: 'webhook.secret_rotated' } });
    expect(activity).toHaveLength(1);
    expect(JSON.stringify(activity)).not.toContain(rotated.secret);
    expect(expectSuccess(await read(owner.auth, hook.id))).not.toHaveProperty('secret');
    // A second rotation keeps the one just shown as the previous secret.
    const third = expectSuccess(await rotate(owner.cookie, hook.id));
    expect(box().open((await row(hook.id)).previousSecret!)).toBe(rotated.secret);
    expect(third.secret).not.toBe(rotated.secret);
  });

  it('is browser-only', async () => {
    const { owner } = await org();
    const hook = await made(owner.cookie);
    expectError(await rotate(owner.auth, hook.id), 'FORBIDDEN');
    expect((await row(hook.id)).secretRotatedAt).toBeNull();
  });
});

describe('GET /webhooks', () => {
  it('lists the org’s endpoints newest first, page by page, with a webhooks:read key or *', async () => {
    const { owner, admin } = await org();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await made(owner.cookie, { description: `n${i}` })).id);
    const reader = { Authorization: `Bearer ${await h.keyWithScopes(admin, ['webhooks:read'])}` };
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = expectSuccess(
        await h.http.get(`${API}/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ''}`).set(reader),
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const wrongScope = { Authorization: `Bearer ${await h.keyWithScopes(owner, ['agents:read'])}` };
    expectError(await h.http.get(`${API}/webhooks`).set(wrongScope), 'FORBIDDEN');
    expectSuccess(await h.http.get(`${API}/webhooks/${ids[0]}`).set(reader));
    expectSuccess(await h.http.get(`${API}/webhooks`).set({ ...owner.cookie, ...SAME_ORIGIN }));
  });
});
