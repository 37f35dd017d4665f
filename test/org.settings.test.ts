import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageSession } from './helpers/browser-session.js';
import { ISO, UUID, expectError, expectSuccess } from './helpers/envelope.js';
import { createAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { steppedUp } from './helpers/org.js';

let h: Harness;
let t: Tenant;
let owner: Record<string, string>;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  owner = (await steppedUp(h, t)).headers;
});
afterAll(() => h.close());

const orgRow = () => h.db.prisma.organization.findUniqueOrThrow({ where: { id: t.orgId } });
const patch = (headers: Record<string, string>, body: unknown) =>
  h.http
    .patch('/api/v1/org')
    .set(headers)
    .send(body as object);

describe('GET /org', () => {
  it('answers any key of the org, whatever its scopes, and the cookie alike', async () => {
    const key = await h.keyWithScopes(t, ['agents:read']);
    const org = expectSuccess(await h.http.get('/api/v1/org').set({ Authorization: `Bearer ${key}` }));
    expect(org).toEqual({
      id: t.orgId,
      slug: t.orgSlug,
      name: expect.any(String),
      defaultModel: null,
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    expect(org.id).toMatch(UUID);
    expect(expectSuccess(await h.http.get('/api/v1/org').set(owner))).toEqual(org);
  });

  it("is the caller's own org: another org's key reads its own", async () => {
    const other = await h.tenant();
    expect(expectSuccess(await h.http.get('/api/v1/org').set(other.auth)).id).toBe(other.orgId);
  });
});

describe('PATCH /org', () => {
  it('changes the name and default model for a stepped-up owner, and writes one activity row', async () => {
    const org = expectSuccess(await patch(owner, { name: '  Research Lab ', defaultModel: 'gpt-4.1-mini' }));
    expect(org).toMatchObject({ name: 'Research Lab', defaultModel: 'gpt-4.1-mini' });
    expect(await orgRow()).toMatchObject({ name: 'Research Lab', defaultModel: 'gpt-4.1-mini' });
    const rows = await h.db.prisma.activity.findMany({ where: { orgId: t.orgId, kind: 'org.updated' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      subjectType: 'organization',
      subjectId: t.orgId,
      actorType: 'user',
      actorId: t.userId,
      workspaceId: null,
    });
    expect(rows[0]!.summary).toContain('name, defaultModel');
  });

  it('refuses every API key, the owner’s full-scope one included (403), and changes nothing', async () => {
    const before = await orgRow();
    expectError(await patch(t.auth, { name: 'Via key' }), 'FORBIDDEN');
    expect(await orgRow()).toEqual(before);
  });

  it('needs step-up: outside the window 403 "step-up required", nothing changes', async () => {
    const s = await steppedUp(h, t);
    await ageSession(h, s.token, 'stepUpAt', 11 * 60_000);
    const before = await orgRow();
    const error = expectError(await patch(s.headers, { name: 'Late' }), 'FORBIDDEN');
    expect(error.message).toContain('step-up required');
    expect(await orgRow()).toEqual(before);
  });

  it('is for owners and admins: a member gets 403, an admin may', async () => {
    const member = await steppedUp(h, await h.colleague(t, { role: 'member' }));
    const before = await orgRow();
    expectError(await patch(member.headers, { name: 'By member' }), 'FORBIDDEN');
    expect(await orgRow()).toEqual(before);
    const admin = await steppedUp(h, await h.colleague(t, { role: 'admin' }));
    expect(expectSuccess(await patch(admin.headers, { name: 'By admin' })).name).toBe('By admin');
  });

  it('refuses an unknown model (400 on body.defaultModel), a blank name or an empty body (422), unknown fields (400)', async () => {
    const before = await orgRow();
    const bad = expectError(await patch(owner, { defaultModel: 'no-such-model' }), 'BAD_REQUEST');
    expect(bad.details).toEqual([{ path: 'body.defaultModel', message: expect.any(String) }]);
    const blank = expectError(await patch(owner, { name: '   ' }), 'VALIDATION_ERROR');
    expect(blank.details).toEqual([{ path: 'body.name', message: expect.any(String) }]);
    expectError(await patch(owner, {}), 'VALIDATION_ERROR');
    expectError(await patch(owner, { slug: 'taken' }), 'BAD_REQUEST');
    expect(await orgRow()).toEqual(before);
  });
});

describe("the org's default model", () => {
  it('is the model of new agents created without one; an explicit model still wins; null resets to the server default', async () => {
    const org = await h.tenant();
    const s = await steppedUp(h, org);
    expect((await createAgent(h, org, { name: 'Before' })).model).toBe(h.config.models.defaultModel);
    expectSuccess(await patch(s.headers, { defaultModel: 'claude-sonnet-4' }));
    expect((await createAgent(h, org, { name: 'After' })).model).toBe('claude-sonnet-4');
    expect((await createAgent(h, org, { name: 'Explicit', model: 'grok-3-mini' })).model).toBe('grok-3-mini');
    // Another org is not affected.
    const other = await h.tenant();
    expect((await createAgent(h, other, { name: 'Elsewhere' })).model).toBe(h.config.models.defaultModel);
    expect(expectSuccess(await patch(s.headers, { defaultModel: null })).defaultModel).toBeNull();
    expect((await createAgent(h, org, { name: 'Reset' })).model).toBe(h.config.models.defaultModel);
  });

  it('falls back on the server default when the stored model left the catalog', async () => {
    const org = await h.tenant();
    await h.db.prisma.organization.update({ where: { id: org.orgId }, data: { defaultModel: 'retired-model' } });
    expect((await createAgent(h, org, { name: 'Fallback' })).model).toBe(h.config.models.defaultModel);
  });
});
