import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from './helpers/envelope.js';
import { createAgent } from './helpers/fixtures.js';
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

const sub =
  (suffix: string): RouteCase['target'] =>
  async (harness, owner) => {
    const t = await agentTarget(harness, owner);
    return { ...t, paths: t.paths.map((p) => `/agents/${p}${suffix}`) };
  };

describeRouteSecurity(
  () => h,
  [
    { method: 'get', route: '/agents/:id', scopes: ['agents:read'], target: sub('') },
    { method: 'patch', route: '/agents/:id', scopes: ['agents:write'], body: { name: 'Taken Over' }, target: sub('') },
    { method: 'delete', route: '/agents/:id', scopes: ['agents:write'], target: sub('') },
    { method: 'get', route: '/agents/:id/sessions', scopes: ['agents:read', 'sessions:read'], target: sub('/sessions') },
    { method: 'get', route: '/agents/:id/messages', scopes: ['agents:read', 'sessions:read'], target: sub('/messages') },
    { method: 'get', route: '/agents/:id/peers', scopes: ['agents:read'], target: sub('/peers') },
  ],
);

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
    expectError(await h.http.get(`/api/v1/agents/${alaA.id}`).set(b.auth), 'NOT_FOUND');
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
        await h.http
          .patch(`/api/v1/agents/${agent.id}`)
          .set(t.auth)
          .send({ name: 'Sneaky', [field]: [] }),
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
    expectError(await h.http.patch(`/api/v1/agents/${agent.id}`).set(t.auth).send({ allowedTools: 'nope', name: 5 }), 'FORBIDDEN');
  });
});

describe('peer grants refer to agents, not to slugs (findings 3 and 5)', () => {
  const get = async (t: Tenant, ref: string) => (await h.http.get(`/api/v1/agents/${ref}`).set(t.auth).expect(200)).body.data;
  const peers = async (t: Tenant, ref: string) =>
    (await h.http.get(`/api/v1/agents/${ref}/peers`).set(t.auth).expect(200)).body.data.items.map((a: { id: string }) => a.id);
  /** Whether `author` may post in a peer session with `other`: the rule that the grant exists for. */
  const mayMessage = async (t: Tenant, author: string, other: string) => {
    const session = (
      await h.http
        .post('/api/v1/sessions')
        .set(t.auth)
        .send({ agentIds: [author, other], metadata: { relationship: 'peer' } })
        .expect(201)
    ).body.data;
    const res = await h.http.post(`/api/v1/sessions/${session.id}/messages`).set(t.auth).send({ content: 'hello', agentId: author });
    expect([201, 403]).toContain(res.status);
    return res.status === 201;
  };

  it('keeps a grant on its agent when the peer is renamed, and never hands it to the agent that takes the old slug', async () => {
    const t = await h.tenant();
    const trusted = await createAgent(h, t, { name: 'Trusted' });
    const granter = await createAgent(h, t, { name: 'Granter', allowedPeers: [trusted.slug] });
    const impostor = await createAgent(h, t, { name: 'Impostor' });
    await h.http.patch(`/api/v1/agents/${trusted.id}`).set(t.auth).send({ slug: 'renamed-away' }).expect(200);
    await h.http.patch(`/api/v1/agents/${impostor.id}`).set(t.auth).send({ slug: trusted.slug }).expect(200);
    expect((await get(t, granter.id)).allowedPeers).toEqual(['renamed-away']);
    expect(await peers(t, granter.id)).toEqual([trusted.id]);
    expect(await mayMessage(t, granter.id, impostor.id)).toBe(false);
    expect(await mayMessage(t, granter.id, trusted.id)).toBe(true);
  });

  it("does not pass a deleted peer's grant to a new agent created with its name", async () => {
    const t = await h.tenant();
    const old = await createAgent(h, t, { name: 'Old Friend' });
    const granter = await createAgent(h, t, { name: 'Loyal', allowedPeers: [old.slug] });
    await h.http.delete(`/api/v1/agents/${old.id}`).set(t.auth).expect(200);
    const reborn = await createAgent(h, t, { name: 'Old Friend' });
    expect(reborn.slug).toBe(old.slug);
    expect((await get(t, granter.id)).allowedPeers).toEqual([]);
    expect(await peers(t, granter.id)).toEqual([]);
    expect(await mayMessage(t, granter.id, reborn.id)).toBe(false);
  });

  it('treats a slug in a workspace hidden from the caller exactly like a missing one, and never stores it', async () => {
    const owner = await h.tenant();
    const member = await h.colleague(owner, { role: 'member' });
    const secret = await createAgent(h, owner, { name: 'Secret Bot' });
    const before = await h.db.prisma.agent.count({ where: { orgId: owner.orgId } });
    const both = expectError(
      await h.http
        .post('/api/v1/agents')
        .set(member.auth)
        .send({ name: 'Probe', allowedPeers: [secret.slug, 'nope-bot'] }),
      'BAD_REQUEST',
    );
    expect(both.message).toContain(secret.slug);
    expect(both.message).toContain('nope-bot');
    const hiddenOnly = expectError(
      await h.http
        .post('/api/v1/agents')
        .set(member.auth)
        .send({ name: 'Probe', allowedPeers: [secret.slug] }),
      'BAD_REQUEST',
    );
    const missingOnly = expectError(
      await h.http
        .post('/api/v1/agents')
        .set(member.auth)
        .send({ name: 'Probe', allowedPeers: ['nope-bot'] }),
      'BAD_REQUEST',
    );
    expect(hiddenOnly.message.replace(secret.slug, 'X')).toBe(missingOnly.message.replace('nope-bot', 'X'));
    expect(await h.db.prisma.agent.count({ where: { orgId: owner.orgId } })).toBe(before);
    // The owner, who sees the workspace, may name it.
    expect((await createAgent(h, owner, { name: 'Allowed', allowedPeers: [secret.slug] })).allowedPeers).toEqual([secret.slug]);
  });
});

describe('creating agents without a workspace', () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
  });

  it('refuses a caller without a visible workspace with 403', async () => {
    const member = await h.colleague(t);
    await h.db.prisma.workspaceAccess.deleteMany({ where: { userId: member.userId } });
    expectError(await h.http.post('/api/v1/agents').set(member.auth).send({ name: 'Homeless' }), 'FORBIDDEN');
    expect(await h.db.prisma.agent.count({ where: { orgId: t.orgId, name: 'Homeless' } })).toBe(0);
  });
});
