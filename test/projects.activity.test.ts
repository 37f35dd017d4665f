import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataLayerOf } from '../server/app.js';
import type { Project } from '../generated/sdk/types.gen.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
let machineId: string;
beforeAll(async () => {
  h = await startHarness();
  machineId = dataLayerOf(h.app).machines.self.id;
});
afterAll(() => h.close());

const create = async (t: Tenant, body: Record<string, unknown>): Promise<Project> =>
  expectSuccess<Project>(await h.http.post(`${API}/projects`).set(t.auth).send(body), 201);
/** JSON `depth` levels deep, counting the outer object. */
const deep = (depth: number): Record<string, unknown> => (depth <= 1 ? {} : { a: deep(depth - 1) });
const rowsOf = (projectId: string) =>
  h.db.prisma.activity.findMany({ where: { projectId, subjectType: 'project' }, orderBy: [{ createdAt: 'asc' }, { kind: 'asc' }] });

describe('project activity rows', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });

  it('writes exactly one row per create, update and delete, scoped like the project and naming this machine', async () => {
    const key = await h.mintKey(t, { name: 'ci' });
    const auth = { Authorization: `Bearer ${key}` };
    const keyRow = await h.db.prisma.apiKey.findFirstOrThrow({ where: { orgId: t.orgId, name: 'ci' } });
    const p = expectSuccess<Project>(await h.http.post(`${API}/projects`).set(auth).send({ name: 'Roadmap' }), 201);
    expectSuccess(
      await h.http
        .patch(`${API}/projects/${p.id}`)
        .set(auth)
        .send({ name: 'Roadmap 2', settings: { secret: 'sk-live-123' } }),
    );
    expectSuccess(await h.http.delete(`${API}/projects/${p.id}`).set(auth));
    expectSuccess(await h.http.delete(`${API}/projects/${p.id}`).set(auth));
    const rows = await rowsOf(p.id);
    expect(rows.map((r) => r.kind)).toEqual(['project.created', 'project.updated', 'project.deleted']);
    for (const r of rows) {
      expect(r).toMatchObject({
        orgId: t.orgId,
        workspaceId: t.workspaceId,
        projectId: p.id,
        agentId: null,
        machineId,
        actorType: 'api_key',
        actorId: keyRow.id,
        actorName: 'ci',
        subjectType: 'project',
        subjectId: p.id,
      });
    }
    expect(rows.map((r) => r.subjectName)).toEqual(['Roadmap', 'Roadmap 2', 'Roadmap 2']);
    expect(rows.map((r) => r.summary)).toEqual([
      'Project "Roadmap" was created by key "ci"',
      'Project "Roadmap 2" was updated (name, settings) by key "ci"',
      'Project "Roadmap 2" was deleted by key "ci"',
    ]);
    // The changed fields are named, never their values.
    expect(JSON.stringify(rows)).not.toContain('sk-live-123');
    expect(rows[1]!.details).toEqual({ fields: ['name', 'settings'] });
  });

  it('a refused PATCH writes nothing: validation, a taken slug, an empty body', async () => {
    const a = await create(t, { name: 'Keep A' });
    const b = await create(t, { name: 'Keep B' });
    expectError(await h.http.patch(`${API}/projects/${b.id}`).set(t.auth).send({ slug: a.slug }), 'CONFLICT');
    expectError(await h.http.patch(`${API}/projects/${b.id}`).set(t.auth).send({ name: ' ' }), 'VALIDATION_ERROR');
    expectError(await h.http.patch(`${API}/projects/${b.id}`).set(t.auth).send({}), 'BAD_REQUEST');
    expectError(
      await h.http
        .patch(`${API}/projects/${b.id}`)
        .set(t.auth)
        .send({ metadata: deep(13) }),
      'VALIDATION_ERROR',
    );
    expect((await rowsOf(b.id)).map((r) => r.kind)).toEqual(['project.created']);
  });

  it('a create that loses on the slug index leaves no row; its retry writes exactly one', async () => {
    // The first INSERT of a project named Trap fails as a lost slug race would (23505), after its
    // activity CTE has run in the same statement.
    // A sequence, since it is not rolled back with the failing statement.
    await h.db.prisma.$executeRawUnsafe(`CREATE SEQUENCE trap_hits`);
    await h.db.prisma.$executeRawUnsafe(`
      CREATE OR REPLACE FUNCTION trap_project() RETURNS trigger AS $$
      BEGIN
        IF NEW.name = 'Trap' AND nextval('trap_hits') = 1 THEN
          RAISE unique_violation USING MESSAGE = 'duplicate key value violates unique constraint "Project_orgId_slug_live_key"';
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await h.db.prisma.$executeRawUnsafe(
      `CREATE TRIGGER trap_project BEFORE INSERT ON "Project" FOR EACH ROW EXECUTE FUNCTION trap_project()`,
    );
    try {
      const p = await create(t, { name: 'Trap' });
      expect(await h.db.prisma.$queryRawUnsafe(`SELECT last_value::int AS n FROM trap_hits`)).toEqual([{ n: 2 }]);
      expect(await h.db.prisma.activity.count({ where: { orgId: t.orgId, subjectName: 'Trap' } })).toBe(1);
      expect((await rowsOf(p.id)).map((r) => r.kind)).toEqual(['project.created']);
    } finally {
      await h.db.prisma.$executeRawUnsafe(`DROP TRIGGER trap_project ON "Project"`);
    }
  });

  it('another org sees none of it, and a refused create (403, 422) writes nothing', async () => {
    const before = await h.db.prisma.activity.count({ where: { orgId: t.orgId, subjectType: 'project' } });
    expectError(
      await h.http
        .post(`${API}/projects`)
        .set(t.auth)
        .send({ name: 'x', settings: { k: 's'.repeat(9000) } }),
      'VALIDATION_ERROR',
    );
    expectError(await h.http.post(`${API}/projects`).set(t.auth).send({ name: '' }), 'VALIDATION_ERROR');
    expect(await h.db.prisma.activity.count({ where: { orgId: t.orgId, subjectType: 'project' } })).toBe(before);
  });
});
