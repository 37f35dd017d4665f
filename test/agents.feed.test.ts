import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataLayerOf } from '../server/app.js';
import type { Agent } from '../generated/sdk/types.gen.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API, createAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { ids } from './helpers/lists.js';

let h: Harness;
let machineId: string;
beforeAll(async () => {
  h = await startHarness();
  machineId = dataLayerOf(h.app).machines.self.id;
});
afterAll(() => h.close());

const agentRows = (agentId: string) =>
  h.db.prisma.activity.findMany({ where: { agentId, subjectType: 'agent' }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });

describe('agent activity rows', () => {
  let t: Tenant;
  let auth: { Authorization: string };
  let keyId: string;
  beforeAll(async () => {
    t = await h.tenant();
    auth = { Authorization: `Bearer ${await h.mintKey(t, { name: 'ci' })}` };
    keyId = (await h.db.prisma.apiKey.findFirstOrThrow({ where: { orgId: t.orgId, name: 'ci' } })).id;
  });

  it('writes one row per create, update and delete, scoped like the agent and naming this machine', async () => {
    const a = expectSuccess<Agent>(
      await h.http.post(`${API}/agents`).set(auth).send({ name: 'Research Assistant', systemPrompt: 'secret prompt' }),
      201,
    );
    expectSuccess(await h.http.patch(`${API}/agents/${a.id}`).set(auth).send({ name: 'Scout', systemPrompt: 'another secret' }));
    expectSuccess(await h.http.delete(`${API}/agents/${a.id}`).set(auth));
    expectSuccess(await h.http.delete(`${API}/agents/${a.id}`).set(auth));
    expectSuccess(await h.http.delete(`${API}/agents/${a.slug}`).set(auth));
    const rows = await agentRows(a.id);
    expect(rows.map((r) => r.kind)).toEqual(['agent.created', 'agent.updated', 'agent.deleted']);
    for (const r of rows) {
      expect(r).toMatchObject({
        orgId: t.orgId,
        workspaceId: t.workspaceId,
        agentId: a.id,
        projectId: null,
        machineId,
        actorType: 'api_key',
        actorId: keyId,
        actorName: 'ci',
        subjectType: 'agent',
        subjectId: a.id,
        privateToUserId: null,
      });
      expect(JSON.stringify(r)).not.toContain('secret');
    }
    expect(rows.map((r) => r.summary)).toEqual([
      'Agent "Research Assistant" was created by key "ci"',
      'Agent "Scout" was updated (name, systemPrompt) by key "ci"',
      'Agent "Scout" was deleted by key "ci"',
    ]);
    expect(rows[1]!.details).toEqual({ fields: ['name', 'systemPrompt'] });
  });

  it('an Ala update is scoped org-wide', async () => {
    expectSuccess(await h.http.patch(`${API}/agents/ala`).set(auth).send({ description: 'Our helper' }));
    const ala = await h.db.prisma.agent.findFirstOrThrow({ where: { orgId: t.orgId, isDefault: true } });
    const rows = await agentRows(ala.id);
    expect(rows.map((r) => [r.kind, r.workspaceId])).toEqual([
      ['agent.created', null],
      ['agent.updated', null],
    ]);
  });

  it("Ala's creation on an org's first call writes one agent.created row by the system, however many calls race for it", async () => {
    const u = await h.tenant();
    await Promise.all(Array.from({ length: 10 }, () => h.http.get(`${API}/agents`).set(u.auth).expect(200)));
    const ala = await h.db.prisma.agent.findFirstOrThrow({ where: { orgId: u.orgId, isDefault: true } });
    const rows = await agentRows(ala.id);
    expect(
      rows.map((r) => ({ kind: r.kind, actor: r.actorType, subject: r.subjectName, agentId: r.agentId, workspaceId: r.workspaceId })),
    ).toEqual([{ kind: 'agent.created', actor: 'system', subject: 'Ala', agentId: ala.id, workspaceId: null }]);
    expect(rows[0]!.summary).toBe('Agent "Ala" was created by the system');
  });

  it('a refused change writes nothing: a taken slug, validation, an empty body, a browser-only field, Ala', async () => {
    const a = await createAgent(h, t, { name: 'Keep A' });
    const b = await createAgent(h, t, { name: 'Keep B' });
    expectError(await h.http.patch(`${API}/agents/${b.id}`).set(auth).send({ slug: a.slug }), 'CONFLICT');
    expectError(await h.http.patch(`${API}/agents/${b.id}`).set(auth).send({ name: ' ' }), 'VALIDATION_ERROR');
    expectError(await h.http.patch(`${API}/agents/${b.id}`).set(auth).send({ model: 'no-such-model' }), 'BAD_REQUEST');
    expectError(await h.http.patch(`${API}/agents/${b.id}`).set(auth).send({}), 'BAD_REQUEST');
    expectError(await h.http.patch(`${API}/agents/${b.id}`).set(auth).send({ allowedTools: [] }), 'FORBIDDEN');
    expectError(await h.http.delete(`${API}/agents/ala`).set(auth), 'FORBIDDEN');
    expectError(await h.http.post(`${API}/agents`).set(auth).send({ name: 'Ala' }), 'BAD_REQUEST');
    expect((await agentRows(b.id)).map((r) => r.kind)).toEqual(['agent.created']);
    const ala = await h.db.prisma.agent.findFirstOrThrow({ where: { orgId: t.orgId, isDefault: true } });
    expect((await agentRows(ala.id)).filter((r) => r.kind === 'agent.deleted')).toEqual([]);
    // Only Ala's own creation, by the system on the org's first call.
    expect(
      await h.db.prisma.activity.count({ where: { orgId: t.orgId, subjectName: 'Ala', kind: 'agent.created', actorType: 'api_key' } }),
    ).toBe(0);
  });

  it('20 concurrent creates with one name: 20 slugs, exactly one row each', async () => {
    const u = await h.tenant();
    const res = await Promise.all(Array.from({ length: 20 }, () => h.http.post(`${API}/agents`).set(u.auth).send({ name: 'Twin' })));
    const made = res.map((r) => expectSuccess<Agent>(r, 201));
    expect(new Set(made.map((a) => a.slug)).size).toBe(20);
    const rows = await h.db.prisma.activity.findMany({ where: { orgId: u.orgId, kind: 'agent.created', actorType: 'api_key' } });
    expect(rows.map((r) => r.agentId).sort()).toEqual(ids(made).sort());
  });

  it('a create that loses on the slug index leaves no row; its retry writes exactly one', async () => {
    // A sequence, since it is not rolled back with the failing statement: the first INSERT of an agent
    // named Trap fails as a lost slug race would (23505), after its activity CTE has run.
    await h.db.prisma.$executeRawUnsafe(`CREATE SEQUENCE agent_trap_hits`);
    await h.db.prisma.$executeRawUnsafe(`
      CREATE OR REPLACE FUNCTION trap_agent() RETURNS trigger AS $$
      BEGIN
        IF NEW.name = 'Trap' AND nextval('agent_trap_hits') = 1 THEN
          RAISE unique_violation USING MESSAGE = 'duplicate key value violates unique constraint "Agent_orgId_slug_live_key"';
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await h.db.prisma.$executeRawUnsafe(`CREATE TRIGGER trap_agent BEFORE INSERT ON "Agent" FOR EACH ROW EXECUTE FUNCTION trap_agent()`);
    try {
      const a = await createAgent(h, t, { name: 'Trap' });
      expect(await h.db.prisma.$queryRawUnsafe(`SELECT last_value::int AS n FROM agent_trap_hits`)).toEqual([{ n: 2 }]);
      expect(await h.db.prisma.activity.count({ where: { orgId: t.orgId, subjectName: 'Trap' } })).toBe(1);
      expect((await agentRows(a.id)).map((r) => r.kind)).toEqual(['agent.created']);
    } finally {
      await h.db.prisma.$executeRawUnsafe(`DROP TRIGGER trap_agent ON "Agent"`);
    }
  });

  it('an update whose activity row fails is rolled back whole', async () => {
    const a = await createAgent(h, t, { name: 'Steady' });
    await h.db.prisma.$executeRawUnsafe(`
      CREATE OR REPLACE FUNCTION refuse_agent_activity() RETURNS trigger AS $$
      BEGIN
        IF NEW."subjectName" = 'Unsteady' THEN RAISE EXCEPTION 'activity refused'; END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await h.db.prisma.$executeRawUnsafe(
      `CREATE TRIGGER refuse_agent_activity BEFORE INSERT ON "Activity" FOR EACH ROW EXECUTE FUNCTION refuse_agent_activity()`,
    );
    try {
      expectError(await h.http.patch(`${API}/agents/${a.id}`).set(auth).send({ name: 'Unsteady' }), 'INTERNAL_ERROR');
      expect((await h.db.prisma.agent.findUniqueOrThrow({ where: { id: a.id } })).name).toBe('Steady');
    } finally {
      await h.db.prisma.$executeRawUnsafe(`DROP TRIGGER refuse_agent_activity ON "Activity"`);
    }
  });
});
