import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../generated/sdk/types.gen.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API, createSession, postMessage } from './helpers/fixtures.js';
import { ids, sorted } from './helpers/lists.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';

/**
 * Sessions that belong to a project: `projectId` on create (UUID or slug of a live project the caller can
 * see, 400 naming body.projectId otherwise), in the record, as a filter of the list (400 like agentId), and
 * on the activity rows of the session and its messages. Projects are made directly in the database so these
 * tests do not depend on the projects routes.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const project = (t: Pick<Tenant, 'orgId'>, workspaceId: string | null, slug = uniq('proj')) =>
  h.db.prisma.project.create({ data: { orgId: t.orgId, workspaceId, name: `Project ${slug}`, slug } });

const listIds = async (t: Tenant, query: string) =>
  ids(expectSuccess<{ items: Session[] }>(await h.http.get(`${API}/sessions${query}`).set(t.auth)).items);

describe('projectId on sessions', () => {
  let t: Tenant;
  let p: { id: string; slug: string };
  beforeAll(async () => {
    t = await h.tenant();
    p = await project(t, t.workspaceId);
  });

  it('a session created in a project (by UUID or by slug in any case) carries its UUID; without one it is null', async () => {
    const byId = await createSession(h, t, { agentIds: ['ala'], projectId: p.id });
    expect(byId.projectId).toBe(p.id);
    const bySlug = await createSession(h, t, { agentIds: ['ala'], projectId: p.slug.toUpperCase() });
    expect(bySlug.projectId).toBe(p.id);
    expect(expectSuccess<Session>(await h.http.get(`${API}/sessions/${bySlug.id}`).set(t.auth)).projectId).toBe(p.id);
    expect((await createSession(h, t, { agentIds: ['ala'] })).projectId).toBeNull();
    expect((await createSession(h, t, { agentIds: ['ala'], projectId: null })).projectId).toBeNull();
    expect((await h.db.prisma.session.findUniqueOrThrow({ where: { id: byId.id } })).projectId).toBe(p.id);
  });

  it('an org-wide project (no workspace) may hold sessions too', async () => {
    const orgWide = await project(t, null);
    expect((await createSession(h, t, { agentIds: ['ala'], projectId: orgWide.slug })).projectId).toBe(orgWide.id);
  });

  it("400 naming body.projectId for a project that does not exist, is deleted, or is another org's; nothing is stored", async () => {
    const other = await h.tenant();
    const foreign = await project(other, other.workspaceId);
    const deleted = await project(t, t.workspaceId);
    await h.db.prisma.project.update({ where: { id: deleted.id }, data: { deletedAt: new Date() } });
    const before = await h.db.prisma.session.count({ where: { orgId: t.orgId } });
    for (const ref of ['no-such-project', foreign.id, foreign.slug, deleted.id, deleted.slug]) {
      const res = await h.http
        .post(`${API}/sessions`)
        .set(t.auth)
        .send({ agentIds: ['ala'], projectId: ref });
      const error = expectError(res, 'BAD_REQUEST');
      expect(error.details?.map((d) => d.path)).toEqual(['body.projectId']);
      expect(error.message).toContain(ref);
    }
    expect(await h.db.prisma.session.count({ where: { orgId: t.orgId } })).toBe(before);
  });

  it('400 for a project in a workspace the member cannot see, though the owner can use it', async () => {
    const member = await h.colleague(t, { role: 'member' });
    const hidden = await project(t, t.workspaceId);
    const res = await h.http
      .post(`${API}/sessions`)
      .set(member.auth)
      .send({ agentIds: ['ala'], projectId: hidden.id });
    expect(expectError(res, 'BAD_REQUEST').details?.map((d) => d.path)).toEqual(['body.projectId']);
    expect((await createSession(h, t, { agentIds: ['ala'], projectId: hidden.id })).projectId).toBe(hidden.id);
  });

  it('the list filters by projectId (UUID or slug); an unknown or invisible project answers 400 naming query.projectId', async () => {
    const q = await project(t, t.workspaceId);
    const a = await createSession(h, t, { agentIds: ['ala'], projectId: q.id });
    const b = await createSession(h, t, { agentIds: ['ala'], projectId: q.slug });
    await createSession(h, t, { agentIds: ['ala'], projectId: p.id });
    await createSession(h, t, { agentIds: ['ala'] });
    expect(sorted(await listIds(t, `?projectId=${q.id}`))).toEqual(sorted([a.id, b.id]));
    expect(sorted(await listIds(t, `?projectId=${q.slug}`))).toEqual(sorted([a.id, b.id]));
    // Combined with another filter, both apply.
    expect(await listIds(t, `?projectId=${q.id}&relationship=peer`)).toEqual([]);
    const other = await h.tenant();
    const foreign = await project(other, other.workspaceId);
    for (const ref of ['no-such-project', foreign.id]) {
      const error = expectError(await h.http.get(`${API}/sessions?projectId=${ref}`).set(t.auth), 'BAD_REQUEST');
      expect(error.details?.map((d) => d.path)).toEqual(['query.projectId']);
    }
  });

  it('a deleted session leaves the project list', async () => {
    const q = await project(t, t.workspaceId);
    const s = await createSession(h, t, { agentIds: ['ala'], projectId: q.id });
    expectSuccess(await h.http.delete(`${API}/sessions/${s.id}`).set(t.auth));
    expect(await listIds(t, `?projectId=${q.id}`)).toEqual([]);
  });

  it('PATCH moves a session into another project (by slug), out of it (null), and refuses a project the caller cannot see', async () => {
    const s = await createSession(h, t, { agentIds: ['ala'], projectId: p.id });
    const q = await project(t, t.workspaceId);
    const moved = expectSuccess<Session>(await h.http.patch(`${API}/sessions/${s.id}`).set(t.auth).send({ projectId: q.slug }));
    expect(moved.projectId).toBe(q.id);
    expect(await listIds(t, `?projectId=${q.id}`)).toEqual([s.id]);
    const row = await h.db.prisma.activity.findFirstOrThrow({ where: { subjectId: s.id, kind: 'session.updated' } });
    expect(row.projectId).toBe(q.id);
    // A project of another org, or a deleted one, is refused like an unknown one, and nothing changes.
    const other = await h.tenant();
    const foreign = await project(other, other.workspaceId);
    const gone = await project(t, t.workspaceId);
    await h.db.prisma.project.update({ where: { id: gone.id }, data: { deletedAt: new Date() } });
    for (const ref of [foreign.id, foreign.slug, gone.id, 'no-such-project']) {
      const error = expectError(await h.http.patch(`${API}/sessions/${s.id}`).set(t.auth).send({ projectId: ref }), 'BAD_REQUEST');
      expect(error.details?.map((d) => d.path)).toEqual(['body.projectId']);
    }
    expect((await h.db.prisma.session.findUniqueOrThrow({ where: { id: s.id } })).projectId).toBe(q.id);
    const out = expectSuccess<Session>(await h.http.patch(`${API}/sessions/${s.id}`).set(t.auth).send({ projectId: null }));
    expect(out.projectId).toBeNull();
    expect(await listIds(t, `?projectId=${q.id}`)).toEqual([]);
  });

  it('the activity rows of the session and of its messages carry the project', async () => {
    const s = await createSession(h, t, { title: 'In project', agentIds: ['ala'], projectId: p.id });
    const m = await postMessage(h, t, s.id, { content: 'hello project' });
    const rows = await h.db.prisma.activity.findMany({ where: { subjectId: { in: [s.id, m.id] } } });
    expect(rows.map((r) => [r.kind, r.projectId]).sort()).toEqual([
      ['message.posted', p.id],
      ['session.created', p.id],
    ]);
  });
});
