import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { newPglite } from '../server/db/pglite.js';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Agent, DashboardOverview, Session } from '../generated/sdk/types.gen.js';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { mintKey } from '../server/data/api-keys.js';
import { hashKey } from '../server/domain/keys.js';
import { bootstrap } from '../server/data/bootstrap.js';
import { DEFAULT_VOICE } from '../server/domain/voice.js';
import { openEmbedded } from '../server/db/database.js';
import { createLogger } from '../server/logger.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API, createAgent, createSession, deleteAgent, deleteSession, getAgent, postMessage } from './helpers/fixtures.js';
import { startHarness, TEST_ENV, uniq, type Harness, type Tenant } from './helpers/harness.js';

const HOUR = 3_600_000;
const PATH = `${API}/dashboard/overview`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const overview = async (t: { auth: { Authorization: string } }) => expectSuccess<DashboardOverview>(await h.http.get(PATH).set(t.auth));
const asKey = (key: string) => ({ auth: { Authorization: `Bearer ${key}` } });
const keyRow = (key: string) => h.db.prisma.apiKey.findUniqueOrThrow({ where: { hash: hashKey(key) } });
const pinAgent = (id: string, at: Date) => h.db.prisma.agent.update({ where: { id }, data: { updatedAt: at } });

/** Inserts a message directly, with a chosen createdAt. */
const insertMessage = (orgId: string, sessionId: string, createdAt: Date) =>
  h.db.prisma.message.create({ data: { orgId, sessionId, content: 'inserted', createdAt } });

describe('GET /api/v1/dashboard/overview', () => {
  let t: Tenant;
  let member: Tenant;
  let outsider: Tenant;
  let agents: Agent[];
  let memberAgent: Agent;
  let touched: Agent;
  let orgWide: Session;
  beforeAll(async () => {
    t = await h.tenant();
    member = await h.colleague(t);
    outsider = await h.tenant();

    // Agents shown to t: Ala + six (one inactive); one more deleted; the member's agent is in another workspace.
    agents = [];
    for (const name of ['One', 'Two', 'Three', 'Four', 'Five', 'Six']) agents.push(await createAgent(h, t, { name }));
    expectSuccess(await h.http.patch(`${API}/agents/${agents[2]!.id}`).set(t.auth).send({ isActive: false }));
    const gone = await createAgent(h, t, { name: 'Gone' });
    await deleteAgent(h, t, gone.id);
    memberAgent = await createAgent(h, member, { name: 'Member Agent' });

    // Sessions shown to t: three in its workspace and one org-wide; one deleted; the member's is elsewhere.
    const s1 = await createSession(h, t, { agentIds: ['ala', agents[0]!.id] });
    const s2 = await createSession(h, t, { agentIds: ['ala'] });
    await createSession(h, t, { agentIds: [agents[1]!.slug] });
    orgWide = await createSession(h, t, { agentIds: ['ala'] });
    await h.db.prisma.session.update({ where: { id: orgWide.id }, data: { workspaceId: null } });
    const deleted = await createSession(h, t, { agentIds: ['ala'] });
    const memberSession = await createSession(h, member, { agentIds: ['ala', memberAgent.id] });

    // Messages of the last 24 h in t's sessions: two in s1, one in s2, one org-wide, one inserted 23 h ago.
    await postMessage(h, t, s1.id, { content: 'one' });
    await postMessage(h, t, s1.id, { content: 'two', agentId: 'ala' });
    await postMessage(h, t, s2.id, { content: 'three' });
    await postMessage(h, t, orgWide.id, { content: 'org-wide' });
    await insertMessage(t.orgId, s2.id, new Date(Date.now() - 23 * HOUR));
    // Not counted: two days old, in a deleted session, in the member's session.
    await insertMessage(t.orgId, s1.id, new Date(Date.now() - 48 * HOUR));
    await postMessage(h, t, deleted.id, { content: 'deleted later' });
    await deleteSession(h, t, deleted.id);
    await postMessage(h, member, memberSession.id, { content: 'member' });

    // Keys t can list: its own bootstrap key, one expiring tomorrow, the member's bootstrap key. Not: revoked, expired.
    await h.keyWithScopes(t, ['agents:read'], new Date(Date.now() + 24 * HOUR));
    await h.keyWithScopes(t, ['agents:read'], new Date(Date.now() - 1000));
    const revoked = await h.keyWithScopes(t, ['agents:read']);
    expectSuccess(await h.http.delete(`${API}/api-keys/${(await keyRow(revoked)).id}`).set(t.auth));

    // Another org full of data that must never leak into t's numbers.
    for (const name of ['X1', 'X2', 'X3']) await createAgent(h, outsider, { name });
    const xs = await createSession(h, outsider, { agentIds: ['ala'] });
    await postMessage(h, outsider, xs.id, { content: 'outside' });
    await h.keyWithScopes(outsider, ['*']);

    // The most recently updated: pin every agent to a known instant, then touch Four through the API.
    const ala = await getAgent(h, t, 'ala');
    const base = Date.now() - 10 * HOUR;
    const pinned = [ala, ...agents, memberAgent];
    for (const [i, a] of pinned.entries()) await pinAgent(a.id, new Date(base + i * 60_000));
    // The member's agent is the newest of all but is not in t's workspace.
    await pinAgent(memberAgent.id, new Date(Date.now() - HOUR));
    expectSuccess(await h.http.patch(`${API}/agents/${agents[3]!.id}`).set(t.auth).send({ description: 'touched' }));
    touched = agents[3]!;
  });

  it("counts agents (total and active), live sessions, messages of the last 24 h and usable API keys of the caller's org and workspace", async () => {
    const data = await overview(t);
    expect(Object.keys(data).sort()).toEqual(['activeApiKeys', 'agents', 'messagesLast24h', 'recentAgents', 'sessions']);
    expect({
      agents: data.agents,
      sessions: data.sessions,
      messagesLast24h: data.messagesLast24h,
      activeApiKeys: data.activeApiKeys,
    }).toEqual({
      agents: { total: 7, active: 6 },
      sessions: 4,
      messagesLast24h: 5,
      activeApiKeys: 3,
    });
  });

  it('lists the five most recently updated agents, newest first, as full agent records', async () => {
    const data = await overview(t);
    const expected = [touched, agents[5]!, agents[4]!, agents[2]!, agents[1]!];
    expect(data.recentAgents.map((a) => a.slug)).toEqual(expected.map((a) => a.slug));
    expect(data.recentAgents).toEqual(await Promise.all(expected.map((a) => getAgent(h, t, a.id))));
    expect(data.recentAgents[0]!.description).toBe('touched');
  });

  it("scopes a member to org-wide rows, the member's workspace and the member's own keys", async () => {
    const data = await overview(member);
    expect(data).toMatchObject({ agents: { total: 2, active: 2 }, sessions: 2, messagesLast24h: 2, activeApiKeys: 1 });
    expect(data.recentAgents.map((a) => a.id)).toEqual([memberAgent.id, (await getAgent(h, member, 'ala')).id]);
  });

  it("never counts another org's data, and the other org sees only its own", async () => {
    const data = await overview(outsider);
    expect(data).toMatchObject({ agents: { total: 4, active: 4 }, sessions: 1, messagesLast24h: 1, activeApiKeys: 2 });
    expect(data.recentAgents.every((a) => a.orgId === outsider.orgId)).toBe(true);
    expect((await overview(t)).recentAgents.every((a) => a.orgId === t.orgId)).toBe(true);
  });

  it('follows deletes and deactivations: the numbers drop when an agent or session goes', async () => {
    const org = await h.tenant();
    const a = await createAgent(h, org, { name: 'Short Lived' });
    const s = await createSession(h, org, { agentIds: [a.id] });
    await postMessage(h, org, s.id, { content: 'hello' });
    expect(await overview(org)).toMatchObject({ agents: { total: 2, active: 2 }, sessions: 1, messagesLast24h: 1 });
    expectSuccess(await h.http.patch(`${API}/agents/${a.id}`).set(org.auth).send({ isActive: false }));
    expect((await overview(org)).agents).toEqual({ total: 2, active: 1 });
    await deleteSession(h, org, s.id);
    expect(await overview(org)).toMatchObject({ sessions: 0, messagesLast24h: 0 });
    await deleteAgent(h, org, a.id);
    expect((await overview(org)).agents).toEqual({ total: 1, active: 1 });
  });

  it('gives a brand-new org its default agent: one agent, nothing else', async () => {
    const fresh = await h.tenant();
    const data = await overview(fresh);
    expect(data).toEqual({
      agents: { total: 1, active: 1 },
      sessions: 0,
      messagesLast24h: 0,
      activeApiKeys: 1,
      recentAgents: [await getAgent(h, fresh, 'ala')],
    });
  });

  it('needs both the agents:read and sessions:read scopes (403 FORBIDDEN otherwise)', async () => {
    const org = await h.tenant();
    expectError(await h.http.get(PATH).set(asKey(await h.keyWithScopes(org, ['agents:read'])).auth), 'FORBIDDEN');
    expectError(await h.http.get(PATH).set(asKey(await h.keyWithScopes(org, ['sessions:read'])).auth), 'FORBIDDEN');
    expectError(await h.http.get(PATH).set(asKey(await h.keyWithScopes(org, ['agents:write', 'sessions:write'])).auth), 'FORBIDDEN');
    const both = await overview(asKey(await h.keyWithScopes(org, ['agents:read', 'sessions:read'])));
    expect(both.agents.total).toBe(1);
  });

  it('answers 401 without a key', async () => {
    expectError(await h.http.get(PATH), 'UNAUTHORIZED');
  });
});

describe('GET /api/v1/dashboard/overview cost', () => {
  it('runs the same number of SQL statements for an org of 3 agents as for one of 63 agents, 21 sessions and 100 messages', async () => {
    // Always the embedded database, so the statements can be counted on the PGlite instance itself.
    const pglite = newPglite(undefined, { loadDataDir: new Blob([readFileSync(inject('embeddedTemplate'))]) });
    await pglite.waitReady;
    let statements = 0;
    const query = pglite.query.bind(pglite);
    const exec = pglite.exec.bind(pglite);
    pglite.query = ((...args: Parameters<typeof query>) => {
      statements++;
      return query(...args);
    }) as typeof pglite.query;
    pglite.exec = (...args: Parameters<typeof exec>) => {
      statements++;
      return exec(...args);
    };
    const db = await openEmbedded(pglite, { timeoutMs: 5_000, poolSize: 5 });
    try {
      const config = loadConfig({ ...TEST_ENV });
      const sink = new Writable({ write: (_chunk, _enc, done) => done() });
      const http = supertest(buildApp({ config, db, logger: createLogger(config.logLevel, sink) }));
      const boot = await bootstrap(db.prisma, {
        orgSlug: uniq('org'),
        email: `${uniq('owner')}@example.test`,
        role: 'owner',
        keyEnv: config.keyEnv,
      });
      const auth = { Authorization: `Bearer ${boot.apiKey}` };
      // Recorded as used in the future, so no request of this test writes lastUsedAt.
      await db.prisma.apiKey.updateMany({ where: { orgId: boot.orgId }, data: { lastUsedAt: new Date(Date.now() + HOUR) } });

      const small = async () => {
        for (const name of ['First', 'Second']) expect((await http.post(`${API}/agents`).set(auth).send({ name })).status).toBe(201);
        expect(
          (
            await http
              .post(`${API}/sessions`)
              .set(auth)
              .send({ agentIds: ['ala', 'first'] })
          ).status,
        ).toBe(201);
      };
      await small();
      // Each measurement authenticates with a key the one-second key cache has never seen, so both pay
      // the same identity lookup.
      const measure = async () => {
        const { key } = await mintKey(db.prisma, {
          orgId: boot.orgId,
          userId: boot.userId,
          name: 'measure',
          scopes: ['*'],
          env: config.keyEnv,
          expiresAt: null,
        });
        await db.prisma.apiKey.updateMany({ where: { orgId: boot.orgId }, data: { lastUsedAt: new Date(Date.now() + HOUR) } });
        const before = statements;
        const res = await http.get(PATH).set({ Authorization: `Bearer ${key}` });
        const used = statements - before;
        return { data: expectSuccess<DashboardOverview>(res), used };
      };
      await measure(); // warms per-process caches (the default agent is known to exist)

      const smallRun = await measure();
      expect(smallRun.data).toMatchObject({ agents: { total: 3, active: 3 }, sessions: 1, messagesLast24h: 0 });

      const agentRows = Array.from({ length: 60 }, (_, i) => ({
        orgId: boot.orgId,
        workspaceId: boot.workspaceId,
        name: `Bulk ${i}`,
        slug: `bulk-${i}`,
        avatar: 'default',
        model: 'grok-3',
        isActive: i % 3 !== 0,
        settings: { voice: { ...DEFAULT_VOICE } },
      }));
      await db.prisma.agent.createMany({ data: agentRows });
      const bulk = await db.prisma.agent.findMany({ where: { orgId: boot.orgId, slug: { startsWith: 'bulk-' } }, select: { id: true } });
      const sessions: Array<{ id: string }> = [];
      for (let i = 0; i < 20; i++) {
        sessions.push(
          await db.prisma.session.create({
            data: {
              orgId: boot.orgId,
              workspaceId: boot.workspaceId,
              userId: boot.userId,
              metadata: { relationship: i % 2 ? 'peer' : 'group' },
              participants: { create: [{ agentId: bulk[i]!.id }, { agentId: bulk[i + 20]!.id }] },
            },
          }),
        );
      }
      await db.prisma.message.createMany({
        data: Array.from({ length: 100 }, (_, i) => ({
          orgId: boot.orgId,
          sessionId: sessions[i % 20]!.id,
          agentId: i % 2 ? bulk[i % 20]!.id : null,
          userId: i % 2 ? null : boot.userId,
          content: `m${i}`,
        })),
      });

      const largeRun = await measure();
      expect(largeRun.data).toMatchObject({ agents: { total: 63, active: 43 }, sessions: 21, messagesLast24h: 100 });
      expect(largeRun.data.recentAgents).toHaveLength(5);
      expect(largeRun.used).toBe(smallRun.used);
      expect(smallRun.used).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  });
});
