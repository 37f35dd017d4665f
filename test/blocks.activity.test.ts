import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataLayerOf } from '../server/app.js';
import type { Block, Project } from '../generated/sdk/types.gen.js';
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

const blockRows = (projectId: string) =>
  h.db.prisma.activity.findMany({ where: { projectId, subjectType: 'block' }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });

describe('block activity rows', () => {
  let t: Tenant;
  let auth: { Authorization: string };
  let p: Project;
  beforeAll(async () => {
    t = await h.tenant();
    auth = { Authorization: `Bearer ${await h.mintKey(t, { name: 'ci' })}` };
    p = expectSuccess<Project>(await h.http.post(`${API}/projects`).set(auth).send({ name: 'Roadmap' }), 201);
  });

  it('writes one row per add, change and delete, with the project, its workspace and this machine', async () => {
    const long = `Goals ${'x'.repeat(300)} tail-that-must-not-appear`;
    const b = expectSuccess<Block>(
      await h.http
        .post(`${API}/projects/${p.id}/blocks`)
        .set(auth)
        .send({ type: 'heading', content: { text: long, level: 1 } }),
      201,
    );
    expectSuccess(await h.http.patch(`${API}/projects/${p.id}/blocks/${b.id}`).set(auth).send({ afterBlockId: null }));
    expectSuccess(await h.http.delete(`${API}/projects/${p.id}/blocks/${b.id}`).set(auth));
    expectError(await h.http.delete(`${API}/projects/${p.id}/blocks/${b.id}`).set(auth), 'NOT_FOUND');
    const rows = await blockRows(p.id);
    expect(rows.map((r) => r.kind)).toEqual(['block.created', 'block.updated', 'block.deleted']);
    for (const r of rows) {
      expect(r).toMatchObject({
        orgId: t.orgId,
        workspaceId: t.workspaceId,
        projectId: p.id,
        agentId: null,
        machineId,
        subjectType: 'block',
        subjectId: b.id,
        actorType: 'api_key',
        actorName: 'ci',
      });
      // The subject name is the type and an excerpt of at most 80 characters, never the whole text.
      expect(r.subjectName.startsWith('heading: Goals x')).toBe(true);
      expect([...r.subjectName.slice('heading: '.length)].length).toBe(80);
      expect(JSON.stringify(r)).not.toContain('tail-that-must-not-appear');
    }
    expect(rows.map((r) => r.summary)).toEqual([
      'A heading block was added to project "Roadmap" by key "ci"',
      'A heading block was changed in project "Roadmap" by key "ci"',
      'A heading block was removed from project "Roadmap" by key "ci"',
    ]);
  });

  it('names blocks without text by their type', async () => {
    const b = expectSuccess<Block>(
      await h.http
        .post(`${API}/projects/${p.id}/blocks`)
        .set(auth)
        .send({ type: 'image', content: { url: 'https://example.com/a.png' } }),
      201,
    );
    const [row] = (await blockRows(p.id)).filter((r) => r.subjectId === b.id);
    expect(row!.subjectName).toBe('image block');
  });

  it('a refused add or change writes nothing', async () => {
    const b = expectSuccess<Block>(
      await h.http
        .post(`${API}/projects/${p.id}/blocks`)
        .set(auth)
        .send({ type: 'text', content: { text: 'keep' } }),
      201,
    );
    const before = (await blockRows(p.id)).length;
    expectError(
      await h.http
        .patch(`${API}/projects/${p.id}/blocks/${b.id}`)
        .set(auth)
        .send({ content: { text: 1 } }),
      'BAD_REQUEST',
    );
    expectError(await h.http.patch(`${API}/projects/${p.id}/blocks/${b.id}`).set(auth).send({ afterBlockId: b.id }), 'VALIDATION_ERROR');
    expectError(
      await h.http
        .patch(`${API}/projects/${p.id}/blocks/${b.id}`)
        .set(auth)
        .send({ content: { text: 'new' }, afterBlockId: '00000000-0000-4000-8000-000000000000' }),
      'VALIDATION_ERROR',
    );
    expectError(
      await h.http
        .post(`${API}/projects/${p.id}/blocks`)
        .set(auth)
        .send({ type: 'agent', content: { agentId: '00000000-0000-4000-8000-000000000000' } }),
      'BAD_REQUEST',
    );
    expect((await blockRows(p.id)).length).toBe(before);
    const rows = await h.db.prisma.block.findUniqueOrThrow({ where: { id: b.id } });
    expect(rows.content).toEqual({ text: 'keep' });
  });

  it('a block write whose activity row fails is rolled back whole', async () => {
    // Refuse activity rows about blocks named "fail-me", as a failed insert of the row would.
    await h.db.prisma.$executeRawUnsafe(`
      CREATE OR REPLACE FUNCTION refuse_block_activity() RETURNS trigger AS $$
      BEGIN
        IF NEW."subjectName" = 'text: fail-me' THEN RAISE EXCEPTION 'activity refused'; END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await h.db.prisma.$executeRawUnsafe(
      `CREATE TRIGGER refuse_block_activity BEFORE INSERT ON "Activity" FOR EACH ROW EXECUTE FUNCTION refuse_block_activity()`,
    );
    try {
      const before = await h.db.prisma.block.count({ where: { projectId: p.id } });
      expectError(
        await h.http
          .post(`${API}/projects/${p.id}/blocks`)
          .set(auth)
          .send({ type: 'text', content: { text: 'fail-me' } }),
        'INTERNAL_ERROR',
      );
      expect(await h.db.prisma.block.count({ where: { projectId: p.id } })).toBe(before);
    } finally {
      await h.db.prisma.$executeRawUnsafe(`DROP TRIGGER refuse_block_activity ON "Activity"`);
    }
  });
});
