import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from './helpers/envelope.js';
import { createAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

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
      name: 'Everything Else',
      slug: 'everything-else',
      description: null,
      systemPrompt: 'hi',
      model: 'gpt-4.1',
      settings: { voice: { provider: 'AZURE' } },
      isActive: false,
      avatar: 'cat',
    };
    const res = await h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).send(body).expect(200);
    expect(res.body.data).toMatchObject({
      ...body,
      settings: { voice: { provider: 'azure', voiceId: 'alloy', language: 'en-US', speed: 1, pitch: 0 } },
    });
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
    const responses = await Promise.all(
      agents.map((a) => h.http.patch(`/api/v1/agents/${a.id}`).set(t.auth).send({ slug: 'finish-line' })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect(await h.db.prisma.agent.count({ where: { orgId: t.orgId, slug: 'finish-line', deletedAt: null } })).toBe(1);
  });

  it('keeps concurrent partial PATCHes of one agent from losing the row or failing', async () => {
    const a = await createAgent(h, t, { name: 'Busy' });
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        h.http
          .patch(`/api/v1/agents/${a.id}`)
          .set(t.auth)
          .send({ description: `d${i}` }),
      ),
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
