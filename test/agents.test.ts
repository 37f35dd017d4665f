import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_VOICE } from '../server/domain/voice.js';
import { expectError } from './helpers/envelope.js';
import { createAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const AGENT_KEYS = [
  'allowedConnectors', 'allowedPeers', 'allowedTools', 'avatar', 'createdAt', 'description', 'id', 'isActive', 'model',
  'name', 'orgId', 'settings', 'slug', 'systemPrompt', 'updatedAt', 'workspaceId',
];
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

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
    expect(first).toEqual(twins.map((a) => a.id).sort().reverse());
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
        orgId: t.orgId, workspaceId: t.workspaceId, name: `Bulk ${i}`, slug: `bulk-${i}`, avatar: 'default', model: 'grok-3',
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

describe('creating agents', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });

  it('returns 201 with the full record, defaults applied, in the current workspace', async () => {
    const res = await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'Research Assistant' }).expect(201);
    const a = res.body.data;
    expect(Object.keys(a).sort()).toEqual(AGENT_KEYS);
    expect(a).toMatchObject({
      orgId: t.orgId, workspaceId: t.workspaceId, name: 'Research Assistant', slug: 'research-assistant', description: null,
      avatar: 'default', model: 'grok-3', systemPrompt: null, allowedTools: [], allowedPeers: [], allowedConnectors: [],
      isActive: true, settings: { voice: { provider: 'openai', voiceId: 'alloy', language: 'en-US', speed: 1, pitch: 0 } },
    });
    expect(a.createdAt).toMatch(ISO_UTC);
    expect(a.updatedAt).toBe(a.createdAt);
    expect((await h.http.get(`/api/v1/agents/${a.id}`).set(t.auth).expect(200)).body.data).toEqual(a);
  });

  it('stores what it is given', async () => {
    const a = await createAgent(h, t, {
      name: 'Full', description: 'd', model: 'gpt-4.1', systemPrompt: 'be brief', avatar: 'owl.v2',
      allowedTools: ['web-search'], allowedPeers: ['ala'], allowedConnectors: ['github'], settings: { temperature: 0.2 },
    });
    expect(a).toMatchObject({
      description: 'd', model: 'gpt-4.1', systemPrompt: 'be brief', avatar: 'owl.v2', allowedTools: ['web-search'],
      allowedPeers: ['ala'], allowedConnectors: ['github'], settings: { temperature: 0.2 },
    });
  });

  it('applies the configured default model', async () => {
    const other = await h.rebuild({ DEFAULT_MODEL: 'claude-sonnet-4' });
    const res = await other.http.post('/api/v1/agents').set(t.auth).send({ name: 'Configured' }).expect(201);
    expect(res.body.data.model).toBe('claude-sonnet-4');
  });

  it('collapses whitespace in the name and counts 1-255 after collapsing', async () => {
    expect((await createAgent(h, t, { name: '  Deep \t\n  Thought  ' })).name).toBe('Deep Thought');
    const spaced = 'a '.repeat(200); // 400 characters that collapse to 399... then trimmed
    expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: spaced }), 'VALIDATION_ERROR');
    const fits = `${'b'.repeat(255)}${' '.repeat(300)}`;
    expect((await createAgent(h, t, { name: fits })).name).toBe('b'.repeat(255));
    const err = expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'c'.repeat(256) }), 'VALIDATION_ERROR');
    expect(err.details?.[0]?.path).toBe('body.name');
    expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: ' \t ' }), 'VALIDATION_ERROR');
    expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: '' }), 'VALIDATION_ERROR');
  });

  it('rejects the reserved name Ala in any case and spacing with 400', async () => {
    const before = await agentRows(t.orgId);
    for (const name of ['Ala', 'ala', 'ALA', '  aLa ', 'A la', 'a\tL a', 'ＡＬＡ']) {
      const err = expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name }), 'BAD_REQUEST');
      expect(err.details?.[0]?.path).toBe('body.name');
    }
    expect(await agentRows(t.orgId)).toHaveLength(before.length);
  });

  it('bounds description (5,000) and systemPrompt (20,000) with 422, and accepts null', async () => {
    await createAgent(h, t, { name: 'Long', description: 'd'.repeat(5000), systemPrompt: 's'.repeat(20000) });
    await createAgent(h, t, { name: 'Nulls', description: null, systemPrompt: null });
    expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'x', description: 'd'.repeat(5001) }), 'VALIDATION_ERROR');
    expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'x', systemPrompt: 's'.repeat(20001) }), 'VALIDATION_ERROR');
  });

  it('rejects an unknown model with 400 naming the way to list models', async () => {
    const err = expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'x', model: 'gpt-9' }), 'BAD_REQUEST');
    expect(err.message).toContain('/api/v1/models');
  });

  it('checks the lists: unique slugs (422), at most 100 (422), slug-shaped items (422), strings only (400)', async () => {
    const bad = async (body: object, code: 'BAD_REQUEST' | 'VALIDATION_ERROR') =>
      expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'x', ...body }), code);
    await bad({ allowedTools: ['a', 'a'] }, 'VALIDATION_ERROR');
    await bad({ allowedConnectors: Array.from({ length: 101 }, (_, i) => `c${i}`) }, 'VALIDATION_ERROR');
    await bad({ allowedTools: ['Not A Slug'] }, 'VALIDATION_ERROR');
    await bad({ allowedTools: [1] }, 'BAD_REQUEST');
    await bad({ allowedTools: 'web-search' }, 'BAD_REQUEST');
  });

  it('requires allowedPeers to name live agents of the same org (400)', async () => {
    const other = await h.tenant();
    const foreign = await createAgent(h, other, { name: 'Foreign Peer' });
    const err = expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'x', allowedPeers: [foreign.slug] }), 'BAD_REQUEST');
    expect(err.message).toContain(foreign.slug);
    const gone = await createAgent(h, t, { name: 'Gone Peer' });
    await h.http.delete(`/api/v1/agents/${gone.id}`).set(t.auth).expect(200);
    expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'x', allowedPeers: [gone.slug] }), 'BAD_REQUEST');
    expect((await createAgent(h, t, { name: 'Peered', allowedPeers: ['ala'] })).allowedPeers).toEqual(['ala']);
  });

  it('checks the avatar identifier (422) and assigns a default', async () => {
    expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'x', avatar: '../etc/passwd' }), 'VALIDATION_ERROR');
    expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'x', avatar: '' }), 'VALIDATION_ERROR');
    expect((await createAgent(h, t, { name: 'Avatarless' })).avatar).toBe('default');
  });

  it('rejects fields the server owns or does not know with 400', async () => {
    const before = await agentRows(t.orgId);
    for (const field of ['id', 'orgId', 'workspaceId', 'slug', 'isDefault', 'createdAt', 'updatedAt', 'deletedAt', 'nickname']) {
      const err = expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'x', [field]: 'v' }), 'BAD_REQUEST');
      expect(err.details?.[0]?.path).toBe(`body.${field}`);
    }
    expect(await agentRows(t.orgId)).toHaveLength(before.length);
  });

  it('refuses a caller without a visible workspace with 403', async () => {
    const member = await h.colleague(t);
    await h.db.prisma.workspaceAccess.deleteMany({ where: { userId: member.userId } });
    expectError(await h.http.post('/api/v1/agents').set(member.auth).send({ name: 'Homeless' }), 'FORBIDDEN');
    expect(await h.db.prisma.agent.count({ where: { orgId: t.orgId, name: 'Homeless' } })).toBe(0);
  });
});

describe('settings and the voice profile', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });
  const post = (settings: unknown) => h.http.post('/api/v1/agents').set(t.auth).send({ name: 'Voice', settings });

  it('normalizes: trims, canonicalizes case, fills defaults, keeps other keys', async () => {
    const res = await post({ voice: { provider: ' ElevenLabs ', voiceId: '  rachel ', language: 'pt_br' }, mood: { calm: true } }).expect(201);
    expect(res.body.data.settings).toEqual({
      voice: { provider: 'elevenlabs', voiceId: 'rachel', language: 'pt-BR', speed: 1, pitch: 0 },
      mood: { calm: true },
    });
    expect((await post({ voice: { language: 'EN' } }).expect(201)).body.data.settings.voice.language).toBe('en');
  });

  it('rejects values outside the documented sets and ranges with 422, never clamps', async () => {
    for (const voice of [{ provider: 'acme' }, { speed: 4.5 }, { speed: 0.2 }, { pitch: 13 }, { pitch: -12.5 }, { language: 'english!' }, { voiceId: '   ' }]) {
      const err = expectError(await post({ voice }), 'VALIDATION_ERROR');
      expect(err.details?.[0]?.path).toMatch(/^body\.settings\.voice\./);
    }
    await post({ voice: { speed: 4, pitch: -12 } }).expect(201);
  });

  it('rejects wrong types and unknown voice fields with 400', async () => {
    expectError(await post({ voice: { speed: 'fast' } }), 'BAD_REQUEST');
    expectError(await post({ voice: { gender: 'x' } }), 'BAD_REQUEST');
    expectError(await post('loud'), 'BAD_REQUEST');
  });

  it('caps settings at 32 KB serialized and 8 levels deep (422)', async () => {
    const nest = (levels: number): object => (levels === 1 ? {} : { n: nest(levels - 1) });
    await post(nest(8)).expect(201);
    const deep = expectError(await post(nest(9)), 'VALIDATION_ERROR');
    expect(deep.details?.[0]?.path).toBe('body.settings');
    await post({ blob: 'x'.repeat(31 * 1024) }).expect(201);
    expectError(await post({ blob: 'x'.repeat(32 * 1024) }), 'VALIDATION_ERROR');
  });
});

describe('slugs', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });

  it('derives the slug from the name and numbers repeats', async () => {
    const slugs = [];
    for (let i = 0; i < 3; i++) slugs.push((await createAgent(h, t, { name: 'Research Assistant' })).slug);
    expect(slugs).toEqual(['research-assistant', 'research-assistant-2', 'research-assistant-3']);
  });

  it('folds diacritics, lowercases, turns other characters into hyphens and bounds the length', async () => {
    expect((await createAgent(h, t, { name: 'Café Crème & Straße' })).slug).toBe('cafe-creme-strasse');
    expect((await createAgent(h, t, { name: '日本語' })).slug).toBe('agent');
    const long = (await createAgent(h, t, { name: 'word '.repeat(40) })).slug;
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
  });

  it('never gives a new agent the slug ala', async () => {
    await list(t);
    const slug = (await createAgent(h, t, { name: 'Ála' })).slug;
    expect(slug).not.toBe('ala');
    expect(slug).toBe('ala-2');
  });

  it('gives twenty concurrent creates with one name twenty distinct slugs and no 5xx', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => h.http.post('/api/v1/agents').set(t.auth).send({ name: 'Swarm' })),
    );
    const failures = responses.filter((r) => r.status !== 201).map((r) => r.body);
    expect(responses.map((r) => r.status), JSON.stringify(failures)).toEqual(Array(20).fill(201));
    const slugs = responses.map((r) => r.body.data.slug);
    expect(new Set(slugs).size).toBe(20);
    expect(slugs).toContain('swarm');
  });

  it('reuses the lowest free number, and counts on past 64 repeats of one name', async () => {
    const row = (slug: string) => ({ orgId: t.orgId, workspaceId: t.workspaceId, name: 'Many', slug, avatar: 'default', model: 'grok-3', settings: { voice: DEFAULT_VOICE } });
    await h.db.prisma.agent.createMany({ data: [row('gap'), row('gap-3')] });
    expect((await createAgent(h, t, { name: 'Gap' })).slug).toBe('gap-2');
    await h.db.prisma.agent.createMany({ data: ['many', ...Array.from({ length: 70 }, (_, i) => `many-${i + 2}`)].map(row) });
    expect((await createAgent(h, t, { name: 'Many' })).slug).toBe('many-72');
  });

  it('frees the slug of a deleted agent for a new one', async () => {
    const a = await createAgent(h, t, { name: 'Phoenix' });
    await h.http.delete(`/api/v1/agents/${a.id}`).set(t.auth).expect(200);
    const b = await createAgent(h, t, { name: 'Phoenix' });
    expect(b.slug).toBe(a.slug);
    expect(b.id).not.toBe(a.id);
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

describe('updating agents', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });

  it('changes only the fields present and moves updatedAt forward, even twice in a row', async () => {
    const a = await createAgent(h, t, { name: 'Patchy', description: 'old', systemPrompt: 'keep me' });
    const one = (await h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).send({ description: 'new' }).expect(200)).body.data;
    const two = (await h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).send({ description: 'newer' }).expect(200)).body.data;
    expect(one).toEqual({ ...a, description: 'new', updatedAt: one.updatedAt });
    expect(Date.parse(one.updatedAt)).toBeGreaterThan(Date.parse(a.updatedAt));
    expect(Date.parse(two.updatedAt)).toBeGreaterThan(Date.parse(one.updatedAt));
    expect(two.systemPrompt).toBe('keep me');
    expect(two.createdAt).toBe(a.createdAt);
  });

  it('updates every writable field an API key may send', async () => {
    const a = await createAgent(h, t, { name: 'Everything' });
    const body = {
      name: 'Everything Else', slug: 'everything-else', description: null, systemPrompt: 'hi', model: 'gpt-4.1',
      settings: { voice: { provider: 'AZURE' } }, isActive: false, avatar: 'cat',
    };
    const res = await h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).send(body).expect(200);
    expect(res.body.data).toMatchObject({ ...body, settings: { voice: { provider: 'azure', voiceId: 'alloy', language: 'en-US', speed: 1, pitch: 0 } } });
  });

  it('renaming keeps the slug', async () => {
    const a = await createAgent(h, t, { name: 'Old Name' });
    const res = await h.http.patch(`/api/v1/agents/${a.slug}`).set(t.auth).send({ name: 'New Name' }).expect(200);
    expect(res.body.data).toMatchObject({ name: 'New Name', slug: a.slug });
  });

  it('applies the create rules: 422 for ranges, 400 for the reserved name, unknown model and unknown fields', async () => {
    const a = await createAgent(h, t, { name: 'Rules' });
    const patch = (body: object) => h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).send(body);
    expectError(await patch({ name: 'n'.repeat(256) }), 'VALIDATION_ERROR');
    expectError(await patch({ description: 'd'.repeat(5001) }), 'VALIDATION_ERROR');
    expectError(await patch({ settings: { voice: { speed: 9 } } }), 'VALIDATION_ERROR');
    expectError(await patch({ name: ' ALA ' }), 'BAD_REQUEST');
    expectError(await patch({ model: 'gpt-9' }), 'BAD_REQUEST');
    expectError(await patch({ isActive: 'no' }), 'BAD_REQUEST');
    for (const field of ['id', 'orgId', 'workspaceId', 'createdAt', 'deletedAt', 'isDefault']) {
      expectError(await patch({ [field]: 'x' }), 'BAD_REQUEST');
    }
    expect((await h.http.get(`/api/v1/agents/${a.id}`).set(t.auth).expect(200)).body.data).toEqual(a);
  });

  it('answers 400 to an empty body and to a body that is not an object', async () => {
    const a = await createAgent(h, t, { name: 'Empty' });
    expectError(await h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).send({}), 'BAD_REQUEST');
    expectError(await h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).set('content-type', 'application/json').send('[]'), 'BAD_REQUEST');
    expectError(await h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).set('content-type', 'application/json'), 'BAD_REQUEST');
  });

  it('checks a new slug: pattern (422), UUID shape (422), taken (409), ala (409)', async () => {
    const a = await createAgent(h, t, { name: 'Sluggish' });
    const b = await createAgent(h, t, { name: 'Taken' });
    const patch = (slug: string) => h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).send({ slug });
    for (const slug of ['Upper', '-lead', 'trail-', 'two words', 'a'.repeat(65)]) expectError(await patch(slug), 'VALIDATION_ERROR');
    expectError(await patch('7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f'), 'VALIDATION_ERROR');
    expectError(await patch(b.slug), 'CONFLICT');
    expectError(await patch('ala'), 'CONFLICT');
    expect((await h.http.get(`/api/v1/agents/${a.id}`).set(t.auth).expect(200)).body.data.slug).toBe(a.slug);
    expect((await patch('brand-new').expect(200)).body.data.slug).toBe('brand-new');
    await h.http.get('/api/v1/agents/brand-new').set(t.auth).expect(200);
  });

  it('gives concurrent renames to one slug exactly one success and 409 for the rest', async () => {
    const agents = await Promise.all(Array.from({ length: 6 }, (_, i) => createAgent(h, t, { name: `Racer ${i}` })));
    const responses = await Promise.all(agents.map((a) => h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).send({ slug: 'finish-line' })));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect(await h.db.prisma.agent.count({ where: { orgId: t.orgId, slug: 'finish-line', deletedAt: null } })).toBe(1);
  });

  it('keeps concurrent partial PATCHes of one agent from losing the row or failing', async () => {
    const a = await createAgent(h, t, { name: 'Busy' });
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).send({ description: `d${i}` })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const after = (await h.http.get(`/api/v1/agents/${a.id}`).set(t.auth).expect(200)).body.data;
    expect(after.description).toMatch(/^d\d$/);
  });

  it('answers 404 for a deleted agent', async () => {
    const a = await createAgent(h, t, { name: 'Late' });
    await h.http.delete(`/api/v1/agents/${a.id}`).set(t.auth).expect(200);
    expectError(await h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).send({ name: 'Back' }), 'NOT_FOUND');
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

describe('strings the database cannot hold', () => {
  it('refuses a NUL character anywhere in a body with 400 naming the field, and stores nothing', async () => {
    const t = await h.tenant();
    const before = await agentRows(t.orgId);
    const name = expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'x\u0000y' }), 'BAD_REQUEST');
    expect(name.details?.[0]?.path).toBe('body.name');
    const nested = expectError(
      await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'ok', settings: { deep: { 'k\u0000': 1 } } }),
      'BAD_REQUEST',
    );
    expect(nested.details?.[0]?.path).toBe('body.settings.deep');
    expect(await agentRows(t.orgId)).toHaveLength(before.length);
  });
});
