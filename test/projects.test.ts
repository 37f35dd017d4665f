import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../generated/sdk/types.gen.js';
import { expectError, expectInvalid, expectSuccess } from './helpers/envelope.js';
import { API } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { ids, walkPages } from './helpers/lists.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const PROJECT_KEYS = ['createdAt', 'description', 'id', 'metadata', 'name', 'orgId', 'settings', 'slug', 'updatedAt', 'workspaceId'];

const create = async (t: Tenant, body: Record<string, unknown>): Promise<Project> =>
  expectSuccess<Project>(await h.http.post(`${API}/projects`).set(t.auth).send(body), 201);
const patch = (t: Tenant, ref: string, body: Record<string, unknown>) => h.http.patch(`${API}/projects/${ref}`).set(t.auth).send(body);
const listIds = async (t: Tenant) => ids(expectSuccess<{ items: Project[] }>(await h.http.get(`${API}/projects`).set(t.auth)).items);
/** JSON nested `depth` levels deep, counting the outer object: `{ a: { a: ... {} } }`. */
const nested = (depth: number): Record<string, unknown> => (depth <= 1 ? {} : { a: nested(depth - 1) });

describe('creating and reading projects', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });

  it('answers 201 with the full record in the current workspace, defaults applied', async () => {
    const p = await create(t, { name: '  Q3 \t Roadmap ' });
    expect(Object.keys(p).sort()).toEqual(PROJECT_KEYS);
    expect(p).toMatchObject({
      orgId: t.orgId,
      workspaceId: t.workspaceId,
      name: 'Q3 Roadmap',
      slug: 'q3-roadmap',
      description: null,
      metadata: {},
      settings: {},
    });
    expect(p.updatedAt).toBe(p.createdAt);
    expect(expectSuccess(await h.http.get(`${API}/projects/${p.id}`).set(t.auth))).toEqual(p);
    expect(expectSuccess(await h.http.get(`${API}/projects/Q3-ROADMAP`).set(t.auth))).toEqual(p);
  });

  it('stores what it is given', async () => {
    const given = { description: 'd'.repeat(5000), metadata: { quarter: 'Q3', tags: ['a'] }, settings: { grid: true } };
    expect(await create(t, { name: 'Given', ...given })).toMatchObject(given);
  });

  it('refuses names outside 1-255 after collapsing, and invisible characters (422)', async () => {
    expectInvalid(await h.http.post(`${API}/projects`).set(t.auth).send({ name: '   ' }), 'VALIDATION_ERROR', ['body.name']);
    expectInvalid(
      await h.http
        .post(`${API}/projects`)
        .set(t.auth)
        .send({ name: 'x'.repeat(256) }),
      'VALIDATION_ERROR',
      ['body.name'],
    );
    expectInvalid(await h.http.post(`${API}/projects`).set(t.auth).send({ name: 'a\u200bb' }), 'VALIDATION_ERROR', ['body.name']);
    expect((await create(t, { name: `${'y'.repeat(255)}   ` })).name).toBe('y'.repeat(255));
    // Unlike agents, no project name is reserved.
    expect((await create(t, { name: 'Ala' })).slug).toBe('ala');
  });

  it('caps the description at 5,000 characters', async () => {
    expectError(
      await h.http
        .post(`${API}/projects`)
        .set(t.auth)
        .send({ name: 'long', description: 'd'.repeat(5001) }),
      'VALIDATION_ERROR',
    );
  });

  it('gives a name with nothing usable the slug "project"', async () => {
    expect((await create(t, { name: '!!!' })).slug).toBe('project');
    expect((await create(t, { name: 'Agent' })).slug).toBe('agent');
  });

  it('numbers repeated names, and a deleted project frees its slug', async () => {
    const a = await create(t, { name: 'Same' });
    const b = await create(t, { name: 'Same' });
    expect([a.slug, b.slug]).toEqual(['same', 'same-2']);
    expectSuccess(await h.http.delete(`${API}/projects/${a.id}`).set(t.auth));
    expect((await create(t, { name: 'Same' })).slug).toBe('same');
  });

  it('gives 20 concurrent creates with one name 20 distinct slugs and 20 activity rows', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => h.http.post(`${API}/projects`).set(t.auth).send({ name: 'Burst' })));
    const made = results.map((r) => expectSuccess<Project>(r, 201));
    const slugs = made.map((p) => p.slug);
    expect(new Set(slugs).size).toBe(20);
    expect(slugs.sort()).toEqual(['burst', ...Array.from({ length: 19 }, (_, i) => `burst-${i + 2}`)].sort());
    const rows = await h.db.prisma.activity.findMany({ where: { kind: 'project.created', projectId: { in: ids(made) } } });
    expect(rows.map((r) => r.projectId).sort()).toEqual(ids(made).sort());
  });

  it('answers 403 to a caller without a workspace, and writes nothing', async () => {
    const lone = await h.tenant();
    await h.db.prisma.workspace.updateMany({ where: { orgId: lone.orgId }, data: { deletedAt: new Date() } });
    expectError(await h.http.post(`${API}/projects`).set(lone.auth).send({ name: 'Nowhere' }), 'FORBIDDEN');
    expect(await h.db.prisma.project.count({ where: { orgId: lone.orgId } })).toBe(0);
    expect(await h.db.prisma.activity.count({ where: { orgId: lone.orgId, subjectType: 'project' } })).toBe(0);
  });

  it('needs projects:read to read and projects:write to write', async () => {
    const reader = { Authorization: `Bearer ${await h.keyWithScopes(t, ['projects:read'])}` };
    const writer = { Authorization: `Bearer ${await h.keyWithScopes(t, ['projects:write'])}` };
    expectSuccess(await h.http.get(`${API}/projects`).set(reader));
    expectError(await h.http.post(`${API}/projects`).set(reader).send({ name: 'r' }), 'FORBIDDEN');
    expectError(await h.http.get(`${API}/projects`).set(writer), 'FORBIDDEN');
    expectSuccess(await h.http.post(`${API}/projects`).set(writer).send({ name: 'w' }), 201);
  });
});

describe('project JSON limits', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });
  // `{"k":"…"}` is 8 bytes plus the string.
  const settingsOf = (bytes: number) => ({ k: 's'.repeat(bytes - 8) });

  it('accepts settings of exactly 8 KB serialized and refuses one byte more', async () => {
    expect(JSON.stringify(settingsOf(8192)).length).toBe(8192);
    await create(t, { name: 'edge', settings: settingsOf(8192) });
    expectInvalid(
      await h.http
        .post(`${API}/projects`)
        .set(t.auth)
        .send({ name: 'over', settings: settingsOf(8193) }),
      'VALIDATION_ERROR',
      ['body.settings'],
    );
  });

  it('accepts metadata 12 levels deep and refuses 13; settings stop at 8', async () => {
    const p = await create(t, { name: 'deep', metadata: nested(12), settings: nested(8) });
    expect(p.metadata).toEqual(nested(12));
    expectInvalid(
      await h.http
        .post(`${API}/projects`)
        .set(t.auth)
        .send({ name: 'deeper', metadata: nested(13) }),
      'VALIDATION_ERROR',
      ['body.metadata'],
    );
    expectInvalid(
      await h.http
        .post(`${API}/projects`)
        .set(t.auth)
        .send({ name: 'deeper', settings: nested(9) }),
      'VALIDATION_ERROR',
      ['body.settings'],
    );
    expectInvalid(await patch(t, p.id, { metadata: nested(13) }), 'VALIDATION_ERROR', ['body.metadata']);
    expectInvalid(await patch(t, p.id, { settings: settingsOf(8193) }), 'VALIDATION_ERROR', ['body.settings']);
  });

  it('caps metadata at 32 KB', async () => {
    const over = { k: 'm'.repeat(32 * 1024 - 7) };
    expectInvalid(await h.http.post(`${API}/projects`).set(t.auth).send({ name: 'big', metadata: over }), 'VALIDATION_ERROR', [
      'body.metadata',
    ]);
    await create(t, { name: 'big', metadata: { k: 'm'.repeat(32 * 1024 - 8) } });
  });
});

describe('updating projects', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });

  it('changes only the fields sent and moves updatedAt; renaming keeps the slug', async () => {
    const p = await create(t, { name: 'Before', description: 'keep', metadata: { a: 1 } });
    const u = expectSuccess<Project>(await patch(t, p.slug, { name: ' After  Rename ', settings: { s: 1 } }));
    expect(u).toMatchObject({
      id: p.id,
      name: 'After Rename',
      slug: 'before',
      description: 'keep',
      metadata: { a: 1 },
      settings: { s: 1 },
    });
    expect(Date.parse(u.updatedAt)).toBeGreaterThan(Date.parse(p.updatedAt));
    expect(u.createdAt).toBe(p.createdAt);
  });

  it('changes the slug on request: 409 when taken, 422 when UUID-shaped, 200 for its own', async () => {
    const a = await create(t, { name: 'Slug A' });
    const b = await create(t, { name: 'Slug B' });
    expect(expectSuccess<Project>(await patch(t, a.id, { slug: 'renamed-a' })).slug).toBe('renamed-a');
    expectError(await patch(t, b.id, { slug: 'renamed-a' }), 'CONFLICT');
    expectInvalid(await patch(t, b.id, { slug: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0' }), 'VALIDATION_ERROR', ['body.slug']);
    expectError(await patch(t, b.id, { slug: 'Upper' }), 'VALIDATION_ERROR');
    expect(expectSuccess<Project>(await h.http.get(`${API}/projects/renamed-a`).set(t.auth)).id).toBe(a.id);
  });

  it('answers 400 to an empty body and to unknown fields', async () => {
    const p = await create(t, { name: 'Empty' });
    expectError(await patch(t, p.id, {}), 'BAD_REQUEST');
    expectError(await patch(t, p.id, { orgId: t.orgId }), 'BAD_REQUEST');
  });
});

describe('deleting and listing projects', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });

  it('soft-deletes: 404 after, gone from lists, a repeat answers the same and writes one row', async () => {
    const p = await create(t, { name: 'Doomed' });
    expect(expectSuccess(await h.http.delete(`${API}/projects/${p.id}`).set(t.auth))).toEqual({ deleted: true });
    expect(expectSuccess(await h.http.delete(`${API}/projects/${p.id}`).set(t.auth))).toEqual({ deleted: true });
    expect(expectSuccess(await h.http.delete(`${API}/projects/${p.slug}`).set(t.auth))).toEqual({ deleted: true });
    expectError(await h.http.get(`${API}/projects/${p.id}`).set(t.auth), 'NOT_FOUND');
    expectError(await patch(t, p.id, { name: 'x' }), 'NOT_FOUND');
    expect(await listIds(t)).not.toContain(p.id);
    expect((await h.db.prisma.project.findUniqueOrThrow({ where: { id: p.id } })).deletedAt).not.toBeNull();
    expect(await h.db.prisma.activity.count({ where: { projectId: p.id, kind: 'project.deleted' } })).toBe(1);
    expectError(await h.http.delete(`${API}/projects/never-was`).set(t.auth), 'NOT_FOUND');
  });

  it('lists most recently updated first, keyset-paginated without gaps or repeats', async () => {
    const u = await h.tenant();
    const made: Project[] = [];
    for (let i = 0; i < 5; i++) made.push(await create(u, { name: `P${i}` }));
    // Touching the oldest moves it to the top.
    await patch(u, made[0]!.id, { description: 'touched' });
    const expected = [made[0]!, made[4]!, made[3]!, made[2]!, made[1]!].map((p) => p.id);
    expect(await listIds(u)).toEqual(expected);
    const pages = await walkPages<Project>(h, u, '/projects', 2);
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((p) => ids(p.items))).toEqual(expected);
    expectError(await h.http.get(`${API}/projects?cursor=bm9wZQ`).set(u.auth), 'VALIDATION_ERROR');
  });
});

describe('project tenancy', () => {
  it('another org and a member without the workspace get 404 and do not see it listed', async () => {
    const owner = await h.tenant();
    const member = await h.colleague(owner, { role: 'member' });
    const outsider = await h.tenant();
    const p = await create(owner, { name: 'Private' });
    for (const who of [member, outsider]) {
      expectError(await h.http.get(`${API}/projects/${p.id}`).set(who.auth), 'NOT_FOUND');
      expectError(await h.http.get(`${API}/projects/${p.slug}`).set(who.auth), 'NOT_FOUND');
      expectError(await patch(who, p.id, { name: 'mine' }), 'NOT_FOUND');
      expectError(await h.http.delete(`${API}/projects/${p.id}`).set(who.auth), 'NOT_FOUND');
      expect(await listIds(who)).not.toContain(p.id);
    }
    expect((await h.db.prisma.project.findUniqueOrThrow({ where: { id: p.id } })).name).toBe('Private');
    expect(await h.db.prisma.activity.count({ where: { projectId: p.id } })).toBe(1);
    // A member granted the workspace sees it.
    const granted = await h.colleague(owner, { role: 'member', workspaceSlug: owner.workspaceSlug });
    expect(await listIds(granted)).toContain(p.id);
  });

  it('share links answer 403 to every API key, owners included, with the browser-only message', async () => {
    const t = await h.tenant();
    const p = await create(t, { name: 'Shared' });
    const err = expectError(await h.http.post(`${API}/projects/${p.id}/share-links`).set(t.auth).send({}), 'FORBIDDEN');
    expect(err.message).toBe('API keys cannot perform createProjectShareLink; use the dashboard with step-up authentication');
    const ws = expectError(await h.http.post(`${API}/workspaces`).set(t.auth).send({ name: 'x' }), 'FORBIDDEN');
    expect(err.message.replace('createProjectShareLink', 'createWorkspace')).toBe(ws.message);
    expect(await h.db.prisma.activity.count({ where: { projectId: p.id } })).toBe(1);
  });
});
