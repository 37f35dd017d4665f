import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from './helpers/envelope.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
});
afterAll(() => h.close());

const create = (key: string | undefined, body: object = { name: 'Idem' }, auth = t.auth) => {
  const req = h.http.post('/api/v1/agents').set(auth);
  if (key !== undefined) req.set('Idempotency-Key', key);
  return req.send(body);
};
/** The id of the API key `key`, which idempotency records are scoped to. */
const keyIdOf = async (key: string) =>
  (await h.db.prisma.apiKey.findUniqueOrThrow({ where: { hash: createHash('sha256').update(key).digest('hex') } })).id;
const countAgents = (name: string) => h.db.prisma.agent.count({ where: { orgId: t.orgId, name, deletedAt: null } });

describe('Idempotency-Key on POST', () => {
  it('replays the stored answer to a retry, with Idempotent-Replayed, and does the work once', async () => {
    const first = await create('retry-1', { name: 'Once' }).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await create('retry-1', { name: 'Once' }).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await countAgents('Once')).toBe(1);
  });

  it('answers 409 when the key is reused with another body or path, without describing the first request', async () => {
    await create('reuse-1', { name: 'Original' }).expect(201);
    const body = expectError(await create('reuse-1', { name: 'Different' }), 'CONFLICT');
    expect(body.message).toMatch(/different request/);
    const path = expectError(
      await h.http
        .post('/api/v1/sessions')
        .set(t.auth)
        .set('Idempotency-Key', 'reuse-1')
        .send({ agentIds: ['ala'] }),
      'CONFLICT',
    );
    expect(path.message).toBe(body.message);
    expect(`${body.message} ${path.message}`).not.toMatch(/\/api\/v1|agents|Original/);
    expect(await countAgents('Different')).toBe(0);
    expect(await h.db.prisma.session.count({ where: { orgId: t.orgId } })).toBe(0);
  });

  it('runs concurrent requests with one key exactly once: one agent, every client the same body or 409', async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, () => create('burst-1', { name: 'Burst' })));
    const created = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 409);
    expect(created.length + refused.length).toBe(10);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const r of created) expect(r.body).toEqual(created[0]!.body);
    for (const r of refused) expect(r.body.error.code).toBe('CONFLICT');
    expect(await countAgents('Burst')).toBe(1);
  });

  it('stores handler refusals too, but not requests rejected by validation', async () => {
    expectError(await create('refusal-1', { name: 'x', model: 'gpt-9' }), 'BAD_REQUEST');
    const replay = await create('refusal-1', { name: 'x', model: 'gpt-9' });
    expect(replay.status).toBe(400);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expectError(await create('invalid-1', { name: 5 }), 'BAD_REQUEST');
    expect(await h.db.prisma.idempotencyKey.count({ where: { orgId: t.orgId, key: 'invalid-1' } })).toBe(0);
    await create('invalid-1', { name: 'Now Valid' }).expect(201);
  });

  it('refuses a malformed key with 400 and stores nothing', async () => {
    for (const key of ['', 'x'.repeat(256), 'tab\tkey', 'é']) {
      const res = await h.http.post('/api/v1/agents').set(t.auth).set('Idempotency-Key', key).send({ name: 'Bad Key' });
      if (key === '') {
        // An empty header value is the same as no header for HTTP clients that drop it; either way no reuse.
        expect([201, 400]).toContain(res.status);
        continue;
      }
      expectError(res, 'BAD_REQUEST');
    }
    expect(await h.db.prisma.idempotencyKey.count({ where: { orgId: t.orgId, key: { startsWith: 'x' } } })).toBe(0);
  });

  it('treats the same body with its keys in another order as the same request', async () => {
    const first = await create('order-1', { name: 'Ordered', description: 'd', model: 'grok-3' }).expect(201);
    const again = await create('order-1', { model: 'grok-3', description: 'd', name: 'Ordered' }).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await countAgents('Ordered')).toBe(1);
  });

  it('scopes records to the API key: any other key reusing the Idempotency-Key runs a fresh request', async () => {
    const stranger = await h.tenant();
    const member = await h.colleague(t, { role: 'member' });
    const sameUser = { Authorization: `Bearer ${await h.mintKey(t)}` };
    const hidden = await create('shared-key', { name: 'Admin Only' }).expect(201);
    for (const [label, auth, orgId] of [
      ['another organization', stranger.auth, stranger.orgId],
      ['a member of another workspace', member.auth, t.orgId],
      ['another key of the same user', sameUser, t.orgId],
    ] as const) {
      const res = await create('shared-key', { name: 'Admin Only' }, auth);
      expect(res.status, label).toBe(201);
      expect(res.headers['idempotent-replayed'], label).toBeUndefined();
      expect(res.body.data.id, label).not.toBe(hidden.body.data.id);
      expect(res.body.data.orgId, label).toBe(orgId);
      // The other key's reuse on another path is its own first use too, not a 409 about someone else's request.
      const other = await h.http
        .post('/api/v1/sessions')
        .set(auth)
        .set('Idempotency-Key', 'shared-key')
        .send({ agentIds: ['ala'] });
      expect(other.status, label).toBe(409);
      expect(other.body.error.message).not.toMatch(/agents/);
    }
    expect(await h.db.prisma.idempotencyKey.count({ where: { key: 'shared-key' } })).toBe(4);
  });

  it('keeps answers at least 24 hours, then treats the key as new', async () => {
    const first = await create('ttl-1', { name: 'Aging' }).expect(201);
    const apiKeyId = await keyIdOf(t.key);
    const row = await h.db.prisma.idempotencyKey.findUniqueOrThrow({ where: { apiKeyId_key: { apiKeyId, key: 'ttl-1' } } });
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBeGreaterThanOrEqual(24 * 3600 * 1000);
    await h.db.prisma.idempotencyKey.update({
      where: { apiKeyId_key: { apiKeyId, key: 'ttl-1' } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const fresh = await create('ttl-1', { name: 'Aging' }).expect(201);
    expect(fresh.body.data.id).not.toBe(first.body.data.id);
  });

  it('releases a reservation whose request died without answering, after five minutes', async () => {
    const apiKeyId = await keyIdOf(t.key);
    await h.db.prisma.idempotencyKey.create({
      data: {
        apiKeyId,
        orgId: t.orgId,
        key: 'orphan-1',
        fingerprint: '0'.repeat(64),
        method: 'POST',
        path: '/api/v1/agents',
        expiresAt: new Date(Date.now() + 86400000),
      },
    });
    expectError(await create('orphan-1', { name: 'Orphan' }), 'CONFLICT');
    await h.db.prisma.idempotencyKey.update({
      where: { apiKeyId_key: { apiKeyId, key: 'orphan-1' } },
      data: { createdAt: new Date(Date.now() - 6 * 60 * 1000) },
    });
    await create('orphan-1', { name: 'Orphan' }).expect(201);
  });

  it('purges expired keys', async () => {
    await create('purge-1', { name: 'Purged' }).expect(201);
    await h.db.prisma.idempotencyKey.updateMany({
      where: { orgId: t.orgId, key: 'purge-1' },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const { IdempotencyStore } = await import('../server/data/idempotency.js');
    expect(await new IdempotencyStore(h.db.prisma, 24 * 3600 * 1000).purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(await h.db.prisma.idempotencyKey.count({ where: { orgId: t.orgId, key: 'purge-1' } })).toBe(0);
  });

  it('works on every POST: minting keys and posting messages replay too', async () => {
    const key1 = await h.http.post('/api/v1/api-keys').set(t.auth).set('Idempotency-Key', 'mint-1').send({ name: 'ci' }).expect(201);
    const key2 = await h.http.post('/api/v1/api-keys').set(t.auth).set('Idempotency-Key', 'mint-1').send({ name: 'ci' }).expect(201);
    expect(key2.body.data.id).toBe(key1.body.data.id);
    expect(await h.db.prisma.apiKey.count({ where: { orgId: t.orgId, name: 'ci' } })).toBe(1);
    const session = (
      await h.http
        .post('/api/v1/sessions')
        .set(t.auth)
        .send({ agentIds: ['ala'] })
        .expect(201)
    ).body.data;
    const post = () =>
      h.http.post(`/api/v1/sessions/${session.id}/messages`).set(t.auth).set('Idempotency-Key', 'msg-1').send({ content: 'hello' });
    await post().expect(201);
    await post().expect(201);
    expect(await h.db.prisma.message.count({ where: { sessionId: session.id } })).toBe(1);
  });
});
