import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_VOICE } from '../server/domain/voice.js';
import { expectError } from './helpers/envelope.js';
import { AGENT_KEYS, createAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const list = async (t: Tenant, query = '') => (await h.http.get(`/api/v1/agents${query}`).set(t.auth).expect(200)).body.data;
const agentRows = (orgId: string) => h.db.prisma.agent.findMany({ where: { orgId }, orderBy: { createdAt: 'asc' } });

describe('Ala, the default agent', () => {
  it('is created on the first list call and is always in the list, org-wide on the locked model', async () => {
    const t = await h.tenant();
    expect(await agentRows(t.orgId)).toHaveLength(0);
    const { items } = await list(t);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ name: 'Ala', slug: 'ala', workspaceId: null, model: 'grok-3', isActive: true, orgId: t.orgId });
    expect(Object.keys(items[0]).sort()).toEqual(AGENT_KEYS);
    await createAgent(h, t, { name: 'Helper' });
    expect((await list(t)).items.map((a: any) => a.slug)).toContain('ala');
  });

  it('ten concurrent first calls for a new org create exactly one Ala and no error', async () => {
    const t = await h.tenant();
    const responses = await Promise.all(Array.from({ length: 10 }, () => h.http.get('/api/v1/agents').set(t.auth)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const alas = await h.db.prisma.agent.findMany({ where: { orgId: t.orgId, isDefault: true } });
    expect(alas).toHaveLength(1);
    expect(new Set(responses.map((r) => r.body.data.items[0].id))).toEqual(new Set([alas[0]!.id]));
  });

  it('uses the configured locked model', async () => {
    const other = await h.rebuild({ ALA_MODEL: 'gpt-4.1' });
    const t = await h.tenant();
    const res = await other.http.get('/api/v1/agents').set(t.auth).expect(200);
    expect(res.body.data.items[0]).toMatchObject({ slug: 'ala', model: 'gpt-4.1' });
  });

  it('cannot be deactivated, moved to another model or deleted (403), and nothing changes', async () => {
    const t = await h.tenant();
    const before = (await list(t)).items[0];
    expectError(await h.http.patch('/api/v1/agents/ala').set(t.auth).send({ isActive: false }), 'FORBIDDEN');
    expectError(await h.http.patch('/api/v1/agents/ala').set(t.auth).send({ model: 'gpt-4.1' }), 'FORBIDDEN');
    expectError(await h.http.patch(`/api/v1/agents/${before.id}`).set(t.auth).send({ model: 'no-such-model' }), 'FORBIDDEN');
    expectError(await h.http.delete('/api/v1/agents/ala').set(t.auth), 'FORBIDDEN');
    expect((await h.http.get('/api/v1/agents/ala').set(t.auth).expect(200)).body.data).toEqual(before);
  });

  it('accepts its own locked model and isActive true', async () => {
    const t = await h.tenant();
    const res = await h.http.patch('/api/v1/agents/ala').set(t.auth).send({ model: 'grok-3', isActive: true }).expect(200);
    expect(res.body.data).toMatchObject({ slug: 'ala', model: 'grok-3', isActive: true });
  });

  it('drops a slug sent in a PATCH silently: 200 and the slug stays ala', async () => {
    const t = await h.tenant();
    const res = await h.http.patch('/api/v1/agents/ala').set(t.auth).send({ slug: 'not-ala', description: 'Our helper' }).expect(200);
    expect(res.body.data).toMatchObject({ slug: 'ala', description: 'Our helper' });
    await h.http.get('/api/v1/agents/not-ala').set(t.auth).expect(404);
  });
});

describe('listing agents', () => {
  it('shows org-wide agents and the current workspace only, newest update first, ties by id', async () => {
    const owner = await h.tenant();
    const member = await h.colleague(owner);
    const mine = await createAgent(h, owner, { name: 'Mine' });
    const theirs = await createAgent(h, member, { name: 'Theirs' });
    const ownerList = (await list(owner)).items.map((a: any) => a.slug);
    expect(ownerList).toEqual([mine.slug, 'ala']);
    expect(ownerList).not.toContain(theirs.slug);
    expect((await list(member)).items.map((a: any) => a.slug)).toEqual([theirs.slug, 'ala']);
    // Equal timestamps fall back to id order, descending.
    const sameTime = new Date('2030-01-01T00:00:00.000Z');
    const twins = await Promise.all([createAgent(h, owner, { name: 'Twin' }), createAgent(h, owner, { name: 'Twin' })]);
    await h.db.prisma.agent.updateMany({ where: { id: { in: twins.map((a) => a.id) } }, data: { updatedAt: sameTime } });
    const first = (await list(owner)).items.slice(0, 2).map((a: any) => a.id);
    expect(first).toEqual(
      twins
        .map((a) => a.id)
        .sort()
        .reverse(),
    );
  });

  it('moves an agent to the top when it is updated', async () => {
    const t = await h.tenant();
    const a = await createAgent(h, t, { name: 'First' });
    await createAgent(h, t, { name: 'Second' });
    await h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).send({ description: 'touched' }).expect(200);
    expect((await list(t)).items[0].id).toBe(a.id);
  });

  it('paginates with a keyset cursor: limit, nextCursor, hasMore, no gaps or duplicates', async () => {
    const t = await h.tenant();
    for (let i = 0; i < 7; i++) await createAgent(h, t, { name: `Page ${i}` });
    const all = (await list(t)).items.map((a: any) => a.id);
    expect(all).toHaveLength(8);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await list(t, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.limit).toBe(3);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((a: any) => a.id));
      expect(page.hasMore).toBe(page.nextCursor !== null);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);
  });

  it('defaults to 100 per page and refuses limits outside 1-100 with 422', async () => {
    const t = await h.tenant();
    await list(t);
    await h.db.prisma.agent.createMany({
      data: Array.from({ length: 101 }, (_, i) => ({
        orgId: t.orgId,
        workspaceId: t.workspaceId,
        name: `Bulk ${i}`,
        slug: `bulk-${i}`,
        avatar: 'default',
        model: 'grok-3',
        settings: { voice: DEFAULT_VOICE },
      })),
    });
    const page = await list(t);
    expect(page.items).toHaveLength(100);
    expect(page).toMatchObject({ limit: 100, hasMore: true, nextCursor: expect.any(String) });
    expect((await list(t, '?limit=100')).items).toHaveLength(100);
    expect((await list(t, '?limit=1')).items).toHaveLength(1);
    for (const bad of ['0', '101', '-1']) {
      const err = expectError(await h.http.get(`/api/v1/agents?limit=${bad}`).set(t.auth), 'VALIDATION_ERROR');
      expect(err.details?.[0]?.path).toBe('query.limit');
    }
    expectError(await h.http.get('/api/v1/agents?limit=ten').set(t.auth), 'BAD_REQUEST');
  });

  it('refuses a damaged cursor with 422', async () => {
    const t = await h.tenant();
    for (const cursor of ['abc', Buffer.from('["not a date","x"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
      const err = expectError(await h.http.get(`/api/v1/agents?cursor=${cursor}`).set(t.auth), 'VALIDATION_ERROR');
      expect(err.details?.[0]?.path).toBe('query.cursor');
    }
  });

  it('never shows a deleted agent', async () => {
    const t = await h.tenant();
    const a = await createAgent(h, t, { name: 'Doomed' });
    await h.http.delete(`/api/v1/agents/${a.id}`).set(t.auth).expect(200);
    expect((await list(t)).items.map((x: any) => x.id)).not.toContain(a.id);
  });
});

describe('getting an agent', () => {
  it('finds it by UUID and by slug, in any case', async () => {
    const t = await h.tenant();
    const a = await createAgent(h, t, { name: 'Findable' });
    expect((await h.http.get(`/api/v1/agents/${a.id}`).set(t.auth).expect(200)).body.data.id).toBe(a.id);
    expect((await h.http.get(`/api/v1/agents/${a.id.toUpperCase()}`).set(t.auth).expect(200)).body.data.id).toBe(a.id);
    expect((await h.http.get(`/api/v1/agents/${a.slug}`).set(t.auth).expect(200)).body.data.id).toBe(a.id);
    expect((await h.http.get(`/api/v1/agents/${a.slug.toUpperCase()}`).set(t.auth).expect(200)).body.data.id).toBe(a.id);
  });

  it('answers 404 for a missing or deleted agent, and 422 for an id that is neither UUID nor slug', async () => {
    const t = await h.tenant();
    expectError(await h.http.get('/api/v1/agents/00000000-0000-4000-8000-000000000000').set(t.auth), 'NOT_FOUND');
    expectError(await h.http.get('/api/v1/agents/nobody').set(t.auth), 'NOT_FOUND');
    const a = await createAgent(h, t, { name: 'Deleted' });
    await h.http.delete(`/api/v1/agents/${a.id}`).set(t.auth).expect(200);
    expectError(await h.http.get(`/api/v1/agents/${a.id}`).set(t.auth), 'NOT_FOUND');
    expectError(await h.http.get(`/api/v1/agents/${a.slug}`).set(t.auth), 'NOT_FOUND');
    expectError(await h.http.get("/api/v1/agents/x'%20OR%201=1").set(t.auth), 'VALIDATION_ERROR');
  });

  it('keeps answering while a migration adds a column to Agent under the running server', async () => {
    // On PostgreSQL the lookups and the insert are prepared once per connection; a prepared `SELECT *` would
    // fail from then on with "cached plan must not change result type".
    const t = await h.tenant();
    const a = await createAgent(h, t, { name: 'Before Migration' });
    for (const ref of [a.id, a.slug]) await h.http.get(`/api/v1/agents/${ref}`).set(t.auth).expect(200);
    await h.db.prisma.$executeRawUnsafe('ALTER TABLE "Agent" ADD COLUMN "addedLater" integer');
    try {
      for (const ref of [a.id, a.slug]) {
        const res = await h.http.get(`/api/v1/agents/${ref}`).set(t.auth);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(Object.keys(res.body.data).sort()).toEqual(AGENT_KEYS);
      }
      expect((await createAgent(h, t, { name: 'After Migration' })).slug).toBe('after-migration');
    } finally {
      await h.db.prisma.$executeRawUnsafe('ALTER TABLE "Agent" DROP COLUMN "addedLater"');
    }
  });
});

describe('deleting agents', () => {
  it('soft-deletes: 200 {deleted:true}, then 404 and gone from the list, the row kept with deletedAt', async () => {
    const t = await h.tenant();
    const a = await createAgent(h, t, { name: 'Soft' });
    const res = await h.http.delete(`/api/v1/agents/${a.id}`).set(t.auth).expect(200);
    expect(res.body).toEqual({ success: true, data: { deleted: true } });
    await h.http.get(`/api/v1/agents/${a.id}`).set(t.auth).expect(404);
    expect((await list(t)).items.map((x: any) => x.id)).not.toContain(a.id);
    const row = await h.db.prisma.agent.findUnique({ where: { id: a.id } });
    expect(row?.deletedAt).toBeInstanceOf(Date);
  });

  it('answers a repeated delete with the same 200 and no side effect, by id and by slug', async () => {
    const t = await h.tenant();
    const a = await createAgent(h, t, { name: 'Twice' });
    await h.http.delete(`/api/v1/agents/${a.slug}`).set(t.auth).expect(200);
    const first = await h.db.prisma.agent.findUnique({ where: { id: a.id } });
    for (const ref of [a.id, a.slug]) {
      const again = await h.http.delete(`/api/v1/agents/${ref}`).set(t.auth).expect(200);
      expect(again.body).toEqual({ success: true, data: { deleted: true } });
    }
    expect(await h.db.prisma.agent.findUnique({ where: { id: a.id } })).toEqual(first);
  });

  it('answers 404 for an agent that never existed', async () => {
    const t = await h.tenant();
    expectError(await h.http.delete('/api/v1/agents/ghost').set(t.auth), 'NOT_FOUND');
  });
});
