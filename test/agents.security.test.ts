import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, expectError } from './helpers/api.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { describeRouteSecurity, type RouteCase } from './helpers/security.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** An agent in the owner's workspace, addressed by UUID and by slug. */
async function agentTarget(harness: Harness, owner: Tenant) {
  const agent = await createAgent(harness, owner, { name: 'Guarded', allowedPeers: ['ala'] });
  return {
    paths: [agent.id, agent.slug],
    snapshot: () => harness.db.prisma.agent.findUnique({ where: { id: agent.id } }),
  };
}

const sub = (suffix: string): RouteCase['target'] => async (harness, owner) => {
  const t = await agentTarget(harness, owner);
  return { ...t, paths: t.paths.map((p) => `/agents/${p}${suffix}`) };
};

describeRouteSecurity(() => h, [
  { method: 'get', route: '/agents/:id', scopes: ['agents:read'], target: sub('') },
  { method: 'patch', route: '/agents/:id', scopes: ['agents:write'], body: { name: 'Taken Over' }, target: sub('') },
  { method: 'delete', route: '/agents/:id', scopes: ['agents:write'], target: sub('') },
  { method: 'get', route: '/agents/:id/sessions', scopes: ['agents:read', 'sessions:read'], target: sub('/sessions') },
  { method: 'get', route: '/agents/:id/messages', scopes: ['agents:read', 'sessions:read'], target: sub('/messages') },
  { method: 'get', route: '/agents/:id/peers', scopes: ['agents:read'], target: sub('/peers') },
]);

describe('agents across tenants', () => {
  it("never lists another org's or another workspace's agents", async () => {
    const owner = await h.tenant();
    const stranger = await h.tenant();
    const member = await h.colleague(owner);
    const secret = await createAgent(h, owner, { name: 'Secret' });
    for (const t of [stranger, member]) {
      const ids = (await h.http.get('/api/v1/agents').set(t.auth).expect(200)).body.data.items.map((a: any) => a.id);
      expect(ids).not.toContain(secret.id);
    }
  });

  it("gives each org its own Ala: another org's Ala slug resolves to the caller's own", async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const alaA = (await h.http.get('/api/v1/agents/ala').set(a.auth).expect(200)).body.data;
    const alaB = (await h.http.get('/api/v1/agents/ala').set(b.auth).expect(200)).body.data;
    expect(alaA.orgId).toBe(a.orgId);
    expect(alaB.orgId).toBe(b.orgId);
    expectError(await h.http.get(`/api/v1/agents/${alaA.id}`).set(b.auth), 404, 'NOT_FOUND');
  });

  it('lets owners and admins read agents in any workspace of their org, but lists only the current one', async () => {
    const owner = await h.tenant();
    const member = await h.colleague(owner);
    const admin = await h.colleague(owner, { role: 'admin' });
    const theirs = await createAgent(h, member, { name: 'Members Own' });
    for (const t of [owner, admin]) {
      await h.http.get(`/api/v1/agents/${theirs.id}`).set(t.auth).expect(200);
      const ids = (await h.http.get('/api/v1/agents').set(t.auth).expect(200)).body.data.items.map((a: any) => a.id);
      expect(ids).not.toContain(theirs.id);
    }
  });

  it('does not let one org reuse or collide with slugs of another', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const first = await createAgent(h, a, { name: 'Same Name' });
    const second = await createAgent(h, b, { name: 'Same Name' });
    expect(second.slug).toBe(first.slug);
    const res = await h.http.patch(`/api/v1/agents/${first.id}`).set(a.auth).send({ slug: 'unique-to-a' }).expect(200);
    expect(res.body.data.slug).toBe('unique-to-a');
    await h.http.patch(`/api/v1/agents/${second.id}`).set(b.auth).send({ slug: 'unique-to-a' }).expect(200);
  });
});

describe('browser-only agent fields', () => {
  it.each(['allowedTools', 'allowedPeers', 'allowedConnectors'])(
    'a PATCH with %s from an API key answers 403 naming the dashboard with step-up, and changes nothing',
    async (field) => {
      const t = await h.tenant();
      const agent = await createAgent(h, t, { name: 'Restricted', allowedTools: ['web-search'], allowedPeers: ['ala'] });
      const err = expectError(
        await h.http.patch(`/api/v1/agents/${agent.id}`).set(t.auth).send({ name: 'Sneaky', [field]: [] }),
        403,
        'FORBIDDEN',
      );
      expect(err.message).toMatch(/dashboard/i);
      expect(err.message).toMatch(/step-up/i);
      expect((await h.http.get(`/api/v1/agents/${agent.id}`).set(t.auth).expect(200)).body.data).toEqual(agent);
    },
  );

  it('refuses the browser-only field even when the rest of the body is invalid', async () => {
    const t = await h.tenant();
    const agent = await createAgent(h, t, { name: 'Restricted' });
    expectError(await h.http.patch(`/api/v1/agents/${agent.id}`).set(t.auth).send({ allowedTools: 'nope', name: 5 }), 403, 'FORBIDDEN');
  });
});
