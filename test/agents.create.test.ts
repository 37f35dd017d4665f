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

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const list = async (t: Tenant, query = '') => (await h.http.get(`/api/v1/agents${query}`).set(t.auth).expect(200)).body.data;
const agentRows = (orgId: string) => h.db.prisma.agent.findMany({ where: { orgId }, orderBy: { createdAt: 'asc' } });

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
      orgId: t.orgId,
      workspaceId: t.workspaceId,
      name: 'Research Assistant',
      slug: 'research-assistant',
      description: null,
      avatar: 'default',
      model: 'grok-3',
      systemPrompt: null,
      allowedTools: [],
      allowedPeers: [],
      allowedConnectors: [],
      isActive: true,
      settings: { voice: { provider: 'openai', voiceId: 'alloy', language: 'en-US', speed: 1, pitch: 0 } },
    });
    expect(a.createdAt).toMatch(ISO_UTC);
    expect(a.updatedAt).toBe(a.createdAt);
    expect((await h.http.get(`/api/v1/agents/${a.id}`).set(t.auth).expect(200)).body.data).toEqual(a);
  });

  it('stores what it is given', async () => {
    const given = {
      description: 'd',
      model: 'gpt-4.1',
      systemPrompt: 'be brief',
      avatar: 'owl.v2',
      allowedTools: ['web-search'],
      allowedPeers: ['ala'],
      allowedConnectors: ['github'],
      settings: { temperature: 0.2 },
    };
    expect(await createAgent(h, t, { name: 'Full', ...given })).toMatchObject(given);
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
    const err = expectError(
      await h.http
        .post('/api/v1/agents')
        .set(t.auth)
        .send({ name: 'c'.repeat(256) }),
      'VALIDATION_ERROR',
    );
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
    expectError(
      await h.http
        .post('/api/v1/agents')
        .set(t.auth)
        .send({ name: 'x', description: 'd'.repeat(5001) }),
      'VALIDATION_ERROR',
    );
    expectError(
      await h.http
        .post('/api/v1/agents')
        .set(t.auth)
        .send({ name: 'x', systemPrompt: 's'.repeat(20001) }),
      'VALIDATION_ERROR',
    );
  });

  it('rejects an unknown model with 400 naming the way to list models', async () => {
    const err = expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'x', model: 'gpt-9' }), 'BAD_REQUEST');
    expect(err.message).toContain('/api/v1/models');
  });

  it('checks the lists: unique slugs (422), at most 100 (422), slug-shaped items (422), strings only (400)', async () => {
    const bad = async (body: object, code: 'BAD_REQUEST' | 'VALIDATION_ERROR') =>
      expectError(
        await h.http
          .post('/api/v1/agents')
          .set(t.auth)
          .send({ name: 'x', ...body }),
        code,
      );
    await bad({ allowedTools: ['a', 'a'] }, 'VALIDATION_ERROR');
    await bad({ allowedConnectors: Array.from({ length: 101 }, (_, i) => `c${i}`) }, 'VALIDATION_ERROR');
    await bad({ allowedTools: ['Not A Slug'] }, 'VALIDATION_ERROR');
    await bad({ allowedTools: [1] }, 'BAD_REQUEST');
    await bad({ allowedTools: 'web-search' }, 'BAD_REQUEST');
  });

  it('requires allowedPeers to name live agents of the same org (400)', async () => {
    const other = await h.tenant();
    const foreign = await createAgent(h, other, { name: 'Foreign Peer' });
    const err = expectError(
      await h.http
        .post('/api/v1/agents')
        .set(t.auth)
        .send({ name: 'x', allowedPeers: [foreign.slug] }),
      'BAD_REQUEST',
    );
    expect(err.message).toContain(foreign.slug);
    const gone = await createAgent(h, t, { name: 'Gone Peer' });
    await h.http.delete(`/api/v1/agents/${gone.id}`).set(t.auth).expect(200);
    expectError(
      await h.http
        .post('/api/v1/agents')
        .set(t.auth)
        .send({ name: 'x', allowedPeers: [gone.slug] }),
      'BAD_REQUEST',
    );
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
      const err = expectError(
        await h.http
          .post('/api/v1/agents')
          .set(t.auth)
          .send({ name: 'x', [field]: 'v' }),
        'BAD_REQUEST',
      );
      expect(err.details?.[0]?.path).toBe(`body.${field}`);
    }
    expect(await agentRows(t.orgId)).toHaveLength(before.length);
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
    expect(
      responses.map((r) => r.status),
      JSON.stringify(failures),
    ).toEqual(Array(20).fill(201));
    const slugs = responses.map((r) => r.body.data.slug);
    expect(new Set(slugs).size).toBe(20);
    expect(slugs).toContain('swarm');
  });

  it('reuses the lowest free number, and counts on past 64 repeats of one name', async () => {
    const row = (slug: string) => ({
      orgId: t.orgId,
      workspaceId: t.workspaceId,
      name: 'Many',
      slug,
      avatar: 'default',
      model: 'grok-3',
      settings: { voice: DEFAULT_VOICE },
    });
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

describe('settings and the voice profile', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });
  const post = (settings: unknown) => h.http.post('/api/v1/agents').set(t.auth).send({ name: 'Voice', settings });

  it('normalizes: trims, canonicalizes case, fills defaults, keeps other keys', async () => {
    const res = await post({ voice: { provider: ' ElevenLabs ', voiceId: '  rachel ', language: 'pt_br' }, mood: { calm: true } }).expect(
      201,
    );
    expect(res.body.data.settings).toEqual({
      voice: { provider: 'elevenlabs', voiceId: 'rachel', language: 'pt-BR', speed: 1, pitch: 0 },
      mood: { calm: true },
    });
    expect((await post({ voice: { language: 'EN' } }).expect(201)).body.data.settings.voice.language).toBe('en');
  });

  it('rejects values outside the documented sets and ranges with 422, never clamps', async () => {
    for (const voice of [
      { provider: 'acme' },
      { speed: 4.5 },
      { speed: 0.2 },
      { pitch: 13 },
      { pitch: -12.5 },
      { language: 'english!' },
      { voiceId: '   ' },
    ]) {
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

describe('strings the database cannot hold', () => {
  it('refuses a NUL character anywhere in a body with 400 naming the field, and stores nothing', async () => {
    const t = await h.tenant();
    const before = await agentRows(t.orgId);
    const name = expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'x\u0000y' }), 'BAD_REQUEST');
    expect(name.details?.[0]?.path).toBe('body.name');
    const nested = expectError(
      await h.http
        .post('/api/v1/agents')
        .set(t.auth)
        .send({ name: 'ok', settings: { deep: { 'k\u0000': 1 } } }),
      'BAD_REQUEST',
    );
    expect(nested.details?.[0]?.path).toBe('body.settings.deep');
    expect(await agentRows(t.orgId)).toHaveLength(before.length);
  });
});
