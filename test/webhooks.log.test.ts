import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givePassword, signIn } from './helpers/browser-session.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API, createAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

/** An endpoint's delivery log (30 days, newest first, attempts oldest first) and the retry of one delivery. */

let h: Harness;
let owner: Tenant;
let cookie: Record<string, string>;
beforeAll(async () => {
  h = await startHarness();
  owner = await h.tenant();
  cookie = (await signIn(h.http, owner.email, await givePassword(h, owner))).headers;
});
afterAll(() => h.close());

const DAY = 24 * 60 * 60 * 1000;
const endpoint = async (events: string[] = ['agent.*']) =>
  expectSuccess(await h.http.post(`${API}/webhooks`).set(cookie).send({ url: 'https://93.184.215.14/log', events }), 201);
const log = (id: string, query = '', who: Record<string, string> = owner.auth) =>
  h.http.get(`${API}/webhooks/${id}/deliveries${query}`).set(who);
const retry = (id: string, deliveryId: string, who: Record<string, string> = owner.auth) =>
  h.http.post(`${API}/webhooks/${id}/deliveries/${deliveryId}/retry`).set(who);
const rowsOf = (endpointId: string) =>
  h.db.prisma.webhookDelivery.findMany({ where: { endpointId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });

describe('which activity becomes a delivery', () => {
  it('an exact kind, a prefix and * each receive what they name, and nothing else', async () => {
    const exact = await endpoint(['agent.created']);
    const prefix = await endpoint(['session.*']);
    const all = await endpoint(['*']);
    const before = { exact: (await rowsOf(exact.id)).length, prefix: (await rowsOf(prefix.id)).length };
    const agent = await createAgent(h, owner, { name: 'Fan Out' });
    const kinds = async (id: string) => (await rowsOf(id)).map((d) => d.eventType).reverse();
    expect((await kinds(exact.id)).slice(before.exact)).toEqual(['agent.created']);
    expect((await kinds(prefix.id)).slice(before.prefix)).toEqual([]);
    const session = expectSuccess(
      await h.http
        .post(`${API}/sessions`)
        .set(owner.auth)
        .send({ agentIds: [agent.id] }),
      201,
    );
    expect((await kinds(prefix.id)).slice(before.prefix)).toEqual(['session.created']);
    expect(await kinds(exact.id)).not.toContain('session.created');
    // `*` got everything since it was made, its own creation's row included.
    expect(await kinds(all.id)).toEqual(expect.arrayContaining(['webhook.created', 'agent.created', 'session.created']));
    const [delivery] = await rowsOf(prefix.id);
    expect(delivery).toMatchObject({ status: 'pending', attemptCount: 0, queuedAt: null, orgId: owner.orgId });
    expect(session.id).toBeTruthy();
  });

  it("another organization's activity reaches none of this org's endpoints", async () => {
    const hook = await endpoint(['*']);
    const count = (await rowsOf(hook.id)).length;
    const other = await h.tenant();
    await createAgent(h, other, { name: 'Elsewhere' });
    expect((await rowsOf(hook.id)).length).toBe(count);
  });
});

describe('GET /webhooks/{id}/deliveries', () => {
  it('lists deliveries newest first, each with its attempts oldest first, page by page, with a status filter', async () => {
    const hook = await endpoint();
    for (let i = 0; i < 5; i++) await createAgent(h, owner, { name: `Logged ${i}` });
    const stored = await rowsOf(hook.id);
    expect(stored).toHaveLength(5);
    const first = stored[4]!;
    const t0 = Date.now() - 10_000;
    await h.db.prisma.webhookAttempt.createMany({
      data: [
        {
          deliveryId: first.id,
          attemptedAt: new Date(t0 + 2000),
          statusCode: null,
          error: 'timeout',
          latencyMs: 15000,
          responseBody: null,
        },
        { deliveryId: first.id, attemptedAt: new Date(t0), statusCode: 500, error: null, latencyMs: 42, responseBody: '{"error":"down"}' },
        { deliveryId: first.id, attemptedAt: new Date(t0 + 4000), statusCode: 204, error: null, latencyMs: 7, responseBody: '' },
      ],
    });
    await h.db.prisma.webhookDelivery.update({
      where: { id: first.id },
      data: { status: 'succeeded', attemptCount: 3, nextAttemptAt: null },
    });

    const seen: Array<{ id: string; attempts: unknown[] }> = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string; attempts: unknown[] }>; nextCursor: string | null; hasMore: boolean } = expectSuccess(
        await log(hook.id, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`),
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.map((d) => d.id)).toEqual(stored.map((d) => d.id));
    const oldest = seen.at(-1)!;
    expect(oldest).toMatchObject({
      webhookId: hook.id,
      activityId: first.activityId,
      eventType: 'agent.created',
      status: 'succeeded',
      attemptCount: 3,
      nextAttemptAt: null,
    });
    expect(oldest.attempts).toEqual([
      { at: new Date(t0).toISOString(), statusCode: 500, error: null, latencyMs: 42, responseBody: '{"error":"down"}' },
      { at: new Date(t0 + 2000).toISOString(), statusCode: null, error: 'timeout', latencyMs: 15000, responseBody: null },
      { at: new Date(t0 + 4000).toISOString(), statusCode: 204, error: null, latencyMs: 7, responseBody: '' },
    ]);
    expect(seen[0]!.attempts).toEqual([]);

    const succeeded = expectSuccess(await log(hook.id, '?status=succeeded'));
    expect(succeeded.items.map((d: { id: string }) => d.id)).toEqual([first.id]);
    expect(expectSuccess(await log(hook.id, '?status=pending')).items).toHaveLength(4);
    expect(expectSuccess(await log(hook.id, '?status=failed')).items).toEqual([]);
  });

  it('shows the last 30 days only', async () => {
    const hook = await endpoint();
    await createAgent(h, owner, { name: 'Old News' });
    await createAgent(h, owner, { name: 'Fresh News' });
    const [fresh, old] = await rowsOf(hook.id);
    await h.db.prisma.webhookDelivery.update({ where: { id: old!.id }, data: { createdAt: new Date(Date.now() - 30 * DAY - 60_000) } });
    await h.db.prisma.webhookDelivery.update({ where: { id: fresh!.id }, data: { createdAt: new Date(Date.now() - 30 * DAY + 60_000) } });
    expect(expectSuccess(await log(hook.id)).items.map((d: { id: string }) => d.id)).toEqual([fresh!.id]);
  });

  it('reads with a webhooks:read key, not with another scope; 404 for another org and for a deleted endpoint', async () => {
    const hook = await endpoint();
    const reader = { Authorization: `Bearer ${await h.keyWithScopes(owner, ['webhooks:read'])}` };
    expectSuccess(await log(hook.id, '', reader));
    expectError(await log(hook.id, '', { Authorization: `Bearer ${await h.keyWithScopes(owner, ['agents:read'])}` }), 'FORBIDDEN');
    const stranger = await h.tenant();
    expectError(await log(hook.id, '', stranger.auth), 'NOT_FOUND');
    expectSuccess(await h.http.delete(`${API}/webhooks/${hook.id}`).set(cookie));
    expectError(await log(hook.id), 'NOT_FOUND');
  });

  it('reads a page in a fixed number of statements, however many deliveries and attempts it holds', async () => {
    const hook = await endpoint(['*']);
    for (let i = 0; i < 12; i++) await createAgent(h, owner, { name: `Counted ${i}` });
    const deliveries = await rowsOf(hook.id);
    await h.db.prisma.webhookAttempt.createMany({
      data: deliveries.flatMap((d) => [0, 1, 2].map((n) => ({ deliveryId: d.id, statusCode: 500 + n, latencyMs: n }))),
    });
    const pglite = h.db.pglite;
    if (!pglite) {
      console.log('statement count: counted on the embedded database only (its handle is patched); skipped on PostgreSQL');
      return;
    }
    let count = 0;
    const query = pglite.query.bind(pglite);
    const exec = pglite.exec.bind(pglite);
    const statements = async (limit: number) => {
      const start = count;
      expectSuccess(await log(hook.id, `?limit=${limit}`));
      return count - start;
    };
    pglite.query = ((...args: Parameters<typeof query>) => {
      count++;
      return query(...args);
    }) as typeof pglite.query;
    pglite.exec = (...args: Parameters<typeof exec>) => {
      count++;
      return exec(...args);
    };
    try {
      // The first request may also record the key's use (at most once a minute): not the page's cost.
      await statements(2);
      const small = await statements(2);
      expect(small).toBeGreaterThan(0);
      expect(await statements(12)).toBe(small);
    } finally {
      pglite.query = query;
      pglite.exec = exec;
    }
  });
});

describe('POST /webhooks/{id}/deliveries/{deliveryId}/retry', () => {
  it('makes the delivery pending, due now and unqueued, whatever its state, and answers 202 with it', async () => {
    const hook = await endpoint();
    await createAgent(h, owner, { name: 'Retried' });
    const [delivery] = await rowsOf(hook.id);
    await h.db.prisma.webhookDelivery.update({
      where: { id: delivery!.id },
      data: { status: 'failed', nextAttemptAt: null, queuedAt: new Date(), attemptCount: 9 },
    });
    const activityBefore = await h.db.prisma.activity.count({ where: { orgId: owner.orgId } });
    const before = Date.now();
    const res = await retry(hook.id, delivery!.id);
    const answered = expectSuccess(res, 202);
    expect(answered).toMatchObject({ id: delivery!.id, status: 'pending', attemptCount: 9, attempts: [] });
    const stored = await h.db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: delivery!.id } });
    expect(stored).toMatchObject({ status: 'pending', queuedAt: null });
    expect(stored.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(answered.nextAttemptAt).toBe(stored.nextAttemptAt!.toISOString());
    // Changes no resource the feed shows: no activity row (which would itself fan out again).
    expect(await h.db.prisma.activity.count({ where: { orgId: owner.orgId } })).toBe(activityBefore);
    // A succeeded one is sent again too.
    await h.db.prisma.webhookDelivery.update({ where: { id: delivery!.id }, data: { status: 'succeeded', queuedAt: new Date() } });
    expect(expectSuccess(await retry(hook.id, delivery!.id), 202).status).toBe('pending');
  });

  it('needs webhooks:write, is not browser-only, 409s on a disabled endpoint, 404s on a delivery of another endpoint', async () => {
    const hook = await endpoint();
    const other = await endpoint();
    await createAgent(h, owner, { name: 'Twice Delivered' });
    const [mine] = await rowsOf(hook.id);
    const [theirs] = await rowsOf(other.id);
    const writer = { Authorization: `Bearer ${await h.keyWithScopes(owner, ['webhooks:write'])}` };
    expectSuccess(await retry(hook.id, mine!.id, writer), 202);
    expectError(
      await retry(hook.id, mine!.id, { Authorization: `Bearer ${await h.keyWithScopes(owner, ['webhooks:read'])}` }),
      'FORBIDDEN',
    );
    expectError(await retry(hook.id, theirs!.id), 'NOT_FOUND');
    expectError(await retry(hook.id, randomUUID()), 'NOT_FOUND');
    expectError(await retry(hook.id, mine!.id, (await h.tenant()).auth), 'NOT_FOUND');
    const member = await h.colleague(owner, { role: 'member' });
    expectError(await retry(hook.id, mine!.id, member.auth), 'FORBIDDEN');
    expectSuccess(await h.http.patch(`${API}/webhooks/${hook.id}`).set(cookie).send({ enabled: false }));
    const before = await h.db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: mine!.id } });
    expectError(await retry(hook.id, mine!.id), 'CONFLICT');
    expect(await h.db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: mine!.id } })).toEqual(before);
  });
});
