// The rest of GET /mission-control: agent totals and per-agent figures, the 24 h / 7 d stats, and the
// machines with their online/offline status. Sessions, messages, activity rows and machines are inserted
// directly at chosen times; agents go through the API.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, MissionControl } from '../generated/sdk/types.gen.js';
import { expectSuccess } from './helpers/envelope.js';
import { API, createAgent, deleteAgent, getAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ HEARTBEAT_MS: '1000' });
});
afterAll(() => h.close());

const snapshot = async (t: Tenant) => expectSuccess<MissionControl>(await h.http.get(`${API}/mission-control`).set(t.auth));
const ago = (ms: number) => new Date(Date.now() - ms);

const session = async (t: Tenant, workspaceId: string | null, createdAt: Date, deleted = false) =>
  (
    await h.db.prisma.session.create({
      data: { orgId: t.orgId, workspaceId, userId: t.userId, createdAt, updatedAt: createdAt, deletedAt: deleted ? new Date() : null },
    })
  ).id;
const message = (t: Tenant, sessionId: string, createdAt: Date, reply?: { tokens: [number, number]; creditMicro: bigint }) =>
  h.db.prisma.message.create({
    data: {
      orgId: t.orgId,
      sessionId,
      content: 'x',
      createdAt,
      ...(reply ? { model: 'grok-3', inputTokens: reply.tokens[0], outputTokens: reply.tokens[1], creditMicro: reply.creditMicro } : {}),
    },
  });
const activity = (t: Tenant, agentId: string, kind: string, createdAt: Date, workspaceId: string | null = null) =>
  h.db.sql(
    `INSERT INTO "Activity" ("orgId", "workspaceId", kind, "actorType", "actorName", "subjectType", "subjectId", "subjectName", "agentId", summary, "createdAt")
     VALUES ($1::uuid, $2::uuid, $3, 'system', 'system', 'agent', $4::uuid, 'A', $4::uuid, 'inserted', $5::timestamptz)`,
    [t.orgId, workspaceId, kind, agentId, createdAt],
  );

describe('agents', () => {
  let t: Tenant;
  let member: Tenant;
  let busy: Agent;
  let idle: Agent;
  let paused: Agent;
  beforeAll(async () => {
    t = await h.tenant();
    member = await h.colleague(t);
    busy = await createAgent(h, t, { name: 'Busy' });
    idle = await createAgent(h, t, { name: 'Idle' });
    paused = await createAgent(h, t, { name: 'Paused' });
    expectSuccess(await h.http.patch(`${API}/agents/${paused.id}`).set(t.auth).send({ isActive: false }));
    await deleteAgent(h, t, (await createAgent(h, t, { name: 'Gone' })).id);
    await createAgent(h, member, { name: 'Elsewhere' });
    // Start from a clean slate of activity for these agents (the API wrote rows for their creation).
    await h.db.prisma.activity.deleteMany({ where: { orgId: t.orgId } });
    // Sessions Busy takes part in: opened 2 h ago (Busy second of two), 25 h ago (too old), deleted, and one
    // in the member's workspace (the owner reads it). A session.created row alone counts for nothing.
    const join = async (sessionId: string, agentIds: string[]) =>
      h.db.prisma.sessionParticipant.createMany({ data: agentIds.map((agentId) => ({ sessionId, agentId })) });
    await join(await session(t, t.workspaceId, ago(2 * HOUR)), [idle.id, busy.id]);
    await join(await session(t, t.workspaceId, ago(25 * HOUR)), [busy.id]);
    await join(await session(t, t.workspaceId, ago(HOUR), true), [busy.id]);
    await join(await session(member, member.workspaceId, ago(3 * HOUR)), [busy.id]);
    await activity(t, paused.id, 'session.created', ago(HOUR));
    await activity(t, busy.id, 'message.posted', ago(HOUR));
    await activity(t, busy.id, 'chat.replied', ago(HOUR));
    await activity(t, busy.id, 'agent.updated', ago(30 * 60_000)); // the newest row: lastActiveAt
    // A row in the member's workspace, which the owner sees too.
    await activity(t, busy.id, 'message.posted', ago(3 * HOUR), member.workspaceId);
  });

  it("counts the agents the caller's list shows: total, active and inactive", async () => {
    const { agents } = await snapshot(t);
    // Ala, Busy, Idle, Paused: not the deleted one, not the member's agent in its own workspace.
    expect({ total: agents.total, active: agents.active, inactive: agents.inactive }).toEqual({ total: 4, active: 3, inactive: 1 });
    expect(agents.items.map((a) => a.slug).sort()).toEqual(['ala', 'busy', 'idle', 'paused']);
    expect(agents.items.find((a) => a.slug === 'paused')!.isActive).toBe(false);
  });

  it('gives each agent its last activity and its sessions and messages of the last 24 hours', async () => {
    const { agents } = await snapshot(t);
    const row = agents.items.find((a) => a.id === busy.id)!;
    const full = await getAgent(h, t, busy.id);
    expect(row).toEqual({
      id: busy.id,
      slug: 'busy',
      name: 'Busy',
      avatar: full.avatar,
      model: full.model,
      isActive: true,
      lastActiveAt: expect.any(String),
      sessions24h: 2,
      messages24h: 3,
    });
    expect(Math.abs(Date.parse(row.lastActiveAt!) - (Date.now() - 30 * 60_000))).toBeLessThan(60_000);
    expect(agents.items.find((a) => a.id === idle.id)).toMatchObject({ lastActiveAt: null, sessions24h: 1, messages24h: 0 });
    expect(agents.items.find((a) => a.id === paused.id)).toMatchObject({ sessions24h: 0, messages24h: 0 });
  });

  it('counts only the rows the caller may see', async () => {
    // Busy is in the owner's workspace, which the member cannot see: not listed for the member at all.
    const forMember = await snapshot(member);
    expect(forMember.agents.items.map((a) => a.name).sort()).toEqual(['Ala', 'Elsewhere']);
    // A row about Ala in a workspace the member cannot see does not count for the member; the owner sees it.
    const ala = await getAgent(h, t, 'ala');
    await activity(t, ala.id, 'message.posted', ago(HOUR), t.workspaceId);
    expect((await snapshot(member)).agents.items.find((a) => a.slug === 'ala')!.messages24h).toBe(0);
    expect((await snapshot(t)).agents.items.find((a) => a.slug === 'ala')!.messages24h).toBe(1);
  });
});

describe('many agents', () => {
  it('counts them all but lists the 50 most recently updated, newest first', async () => {
    const t = await h.tenant();
    await snapshot(t); // Ala first
    await h.db.sql(
      `INSERT INTO "Agent" ("orgId", "workspaceId", name, slug, avatar, model, settings, "updatedAt")
       SELECT $1::uuid, $2::uuid, 'Bulk ' || g, 'bulk-' || g, 'owl', 'grok-3', '{}', now() - g * interval '1 minute' FROM generate_series(1, 60) g`,
      [t.orgId, t.workspaceId],
    );
    const { agents } = await snapshot(t);
    expect({ total: agents.total, active: agents.active, inactive: agents.inactive }).toEqual({ total: 61, active: 61, inactive: 0 });
    // Ala was updated just now, the bulk agents 1 to 60 minutes ago.
    expect(agents.items.map((a) => a.slug)).toEqual(['ala', ...Array.from({ length: 49 }, (_, i) => `bulk-${i + 1}`)]);
  });
});

describe('stats', () => {
  let t: Tenant;
  let member: Tenant;
  beforeAll(async () => {
    t = await h.tenant();
    member = await h.colleague(t);
    const recent = await session(t, t.workspaceId, ago(2 * HOUR));
    const week = await session(t, null, ago(3 * DAY));
    await session(t, t.workspaceId, ago(8 * DAY)); // older than 7 days
    const gone = await session(t, t.workspaceId, ago(HOUR), true);
    const members = await session(member, member.workspaceId, ago(HOUR));
    await message(t, recent, ago(HOUR));
    await message(t, recent, ago(HOUR), { tokens: [100, 20], creditMicro: 1_500n });
    await message(t, week, ago(2 * DAY));
    await message(t, week, ago(2 * DAY), { tokens: [1_000, 200], creditMicro: 2_000_000n });
    await message(t, week, ago(8 * DAY), { tokens: [5, 5], creditMicro: 9n }); // older than 7 days
    await message(t, gone, ago(HOUR), { tokens: [7, 7], creditMicro: 7n }); // in a deleted session
    await message(member, members, ago(HOUR), { tokens: [1, 1], creditMicro: 1n });
    // Another org's activity must not count.
    const stranger = await h.tenant();
    await message(stranger, await session(stranger, stranger.workspaceId, ago(HOUR)), ago(HOUR), { tokens: [3, 3], creditMicro: 3n });
  });

  it('counts sessions, messages, chat replies, tokens and credits of the last 24 h and 7 d in the sessions the caller can read', async () => {
    const { stats } = await snapshot(t);
    // The owner sees the member's workspace too.
    expect(stats).toEqual({
      last24h: { sessions: 2, messages: 3, chatReplies: 2, tokens: 122, creditsUsed: { credits: 0.001501, creditMicro: 1_501 } },
      last7d: { sessions: 3, messages: 5, chatReplies: 3, tokens: 1_322, creditsUsed: { credits: 2.001501, creditMicro: 2_001_501 } },
    });
  });

  it("scopes a member to org-wide sessions and the member's workspaces", async () => {
    const { stats } = await snapshot(member);
    expect(stats).toEqual({
      last24h: { sessions: 1, messages: 1, chatReplies: 1, tokens: 2, creditsUsed: { credits: 0.000001, creditMicro: 1 } },
      last7d: { sessions: 2, messages: 3, chatReplies: 2, tokens: 1_202, creditsUsed: { credits: 2.000001, creditMicro: 2_000_001 } },
    });
  });
});

describe('machines', () => {
  it('lists machines seen in the last 24 hours, newest first, offline once unseen for 3 heartbeats', async () => {
    const t = await h.tenant();
    const stranger = await h.tenant();
    const machine = (name: string, lastSeen: Date) =>
      h.db.prisma.machine.create({
        data: { id: randomUUID(), name, version: '9.9.9', startedAt: ago(DAY), lastSeenAt: lastSeen, requestsLast5m: 42 },
      });
    // HEARTBEAT_MS is 1000 here: offline after 3 s.
    const fresh = await machine('fresh', ago(500));
    const late = await machine('late', ago(2_500));
    const gone = await machine('gone', ago(3_500));
    await machine('ancient', ago(25 * HOUR));
    const mine = (m: MissionControl['machines']) => m.filter((x) => ['fresh', 'late', 'gone', 'ancient'].includes(x.name));
    const listed = mine((await snapshot(t)).machines);
    expect(listed.map((m) => [m.name, m.status])).toEqual([
      ['fresh', 'online'],
      ['late', 'online'],
      ['gone', 'offline'],
    ]);
    expect(listed[0]).toEqual({
      id: fresh.id,
      name: 'fresh',
      version: '9.9.9',
      status: 'online',
      startedAt: fresh.startedAt.toISOString(),
      lastSeenAt: fresh.lastSeenAt.toISOString(),
      requestsLast5m: 42,
    });
    // Deployment-wide: another org sees the same machines.
    expect(mine((await snapshot(stranger)).machines).map((m) => m.id)).toEqual([fresh.id, late.id, gone.id]);
  });
});
