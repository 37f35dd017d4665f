import type { PrismaClient, Sql } from '../db/database.js';
import { toCreditAmount } from '../domain/credits.js';
import { AGENTS_SHOWN, DAY_MS, FEED_DEFAULT_LIMIT } from '../domain/mission-control.js';
import { decodeCursor } from '../domain/pagination.js';
import { byRef } from '../domain/slugs.js';
import type { Caller } from './caller.js';
import type { MachineStore } from './machines.js';
import { emptyFeed, readActivity, readFeed, type FeedFilters } from './mission-control-feed.js';
import { notFound } from '../errors.js';
import { activityVisibleSql, listed, scopeParams, visible, visibleSql } from './tenancy.js';

/**
 * Mission control: one snapshot of the caller's agents, what its sessions did in the last 24 hours and 7
 * days, the machines, and a page of the activity feed. A fixed number of statements, run in parallel.
 */

export interface MissionControlQuery {
  kind?: string;
  agentId?: string;
  projectId?: string;
  machine?: string;
  search?: string;
  limit?: number;
  cursor?: string;
}

// Per listed agent: its newest activity row and the messages it wrote in the last 24 hours, from the feed's
// own rows (Activity_agent_idx; only rows the caller may see count), and the sessions it took part in that
// were opened in the last 24 hours, among those the caller can read (SessionParticipant_agentId_idx).
const AGENT_ACTIVITY = `SELECT a.id,
  (SELECT t."createdAt" FROM "Activity" t WHERE t."agentId" = a.id AND ${activityVisibleSql}
    ORDER BY t."createdAt" DESC, t.id DESC LIMIT 1) AS "lastActiveAt",
  (SELECT count(*)::int FROM "SessionParticipant" p JOIN "Session" t ON t.id = p."sessionId"
    WHERE p."agentId" = a.id AND t."createdAt" >= $5::timestamptz AND ${visibleSql('session')}) AS sessions,
  (SELECT count(*)::int FROM "Activity" t WHERE t."agentId" = a.id AND t.kind IN ('message.posted', 'chat.replied')
    AND t."createdAt" >= $5::timestamptz AND ${activityVisibleSql}) AS messages
FROM unnest($4::uuid[]) AS a(id)`;

// Sessions the caller can read, and the messages in them: $4 is 24 hours ago, $5 7 days ago. A session's
// createdAt is never after its updatedAt, so the updatedAt bound only lets Session_list_idx serve it; the
// org of the messages comes from their session's, which Message_orgId_createdAt_idx then serves.
const STATS = `WITH s AS (
  SELECT count(*) FILTER (WHERE t."createdAt" >= $4::timestamptz)::int AS s24, count(*)::int AS s7
  FROM "Session" t WHERE ${visibleSql('session')} AND t."updatedAt" >= $5::timestamptz AND t."createdAt" >= $5::timestamptz
), m AS (
  SELECT count(*) FILTER (WHERE m."createdAt" >= $4::timestamptz)::int AS m24, count(*)::int AS m7,
    count(*) FILTER (WHERE m.model IS NOT NULL AND m."createdAt" >= $4::timestamptz)::int AS r24,
    count(*) FILTER (WHERE m.model IS NOT NULL)::int AS r7,
    COALESCE(sum(COALESCE(m."inputTokens", 0) + COALESCE(m."outputTokens", 0)) FILTER (WHERE m."createdAt" >= $4::timestamptz), 0)::bigint AS t24,
    COALESCE(sum(COALESCE(m."inputTokens", 0) + COALESCE(m."outputTokens", 0)), 0)::bigint AS t7,
    COALESCE(sum(m."creditMicro") FILTER (WHERE m."createdAt" >= $4::timestamptz), 0)::bigint AS c24,
    COALESCE(sum(m."creditMicro"), 0)::bigint AS c7
  FROM "Message" m JOIN "Session" t ON t.id = m."sessionId" AND m."orgId" = t."orgId"
  WHERE m."createdAt" >= $5::timestamptz AND ${visibleSql('session')}
)
SELECT * FROM s, m`;

interface StatsRow {
  s24: number;
  s7: number;
  m24: number;
  m7: number;
  r24: number;
  r7: number;
  t24: bigint | number | string;
  t7: bigint | number | string;
  c24: bigint | number | string;
  c7: bigint | number | string;
}

const window = (sessions: number, messages: number, chatReplies: number, tokens: StatsRow['t24'], credits: StatsRow['c24']) => ({
  sessions,
  messages,
  chatReplies,
  tokens: Number(tokens),
  creditsUsed: toCreditAmount(BigInt(credits)),
});

export class MissionControlStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: Sql,
    private readonly machines: MachineStore,
  ) {}

  async snapshot(caller: Caller, query: MissionControlQuery) {
    const now = new Date();
    const [agents, stats, machines, activity] = await Promise.all([
      this.agents(caller, now),
      this.stats(caller, now),
      this.machines.list(now),
      this.activity(caller, query),
    ]);
    return { agents, stats, machines, activity };
  }

  /** One page of the feed. An agent or project the caller cannot see (or that does not exist) gives an empty page. */
  async activity(caller: Caller, query: MissionControlQuery) {
    const limit = query.limit ?? FEED_DEFAULT_LIMIT;
    decodeCursor(query.cursor); // a damaged cursor is a 422 even when the page would be empty
    const [agentId, projectId, machineIds] = await Promise.all([
      query.agentId === undefined ? undefined : this.agentIdOf(caller, query.agentId),
      query.projectId === undefined ? undefined : this.projectIdOf(caller, query.projectId),
      query.machine === undefined ? undefined : this.machines.resolve(query.machine),
    ]);
    if (agentId === null || projectId === null || machineIds?.length === 0) return emptyFeed(limit);
    const filters: FeedFilters = { kind: query.kind, agentId, projectId, machineIds, search: query.search, limit, cursor: query.cursor };
    return readFeed(this.sql, caller, filters);
  }

  /** One row of the feed by id; 404 unless the caller's feed would show it. */
  async activityRow(caller: Caller, id: string) {
    const row = await readActivity(this.sql, caller, id);
    if (!row) throw notFound('Activity');
    return row;
  }

  /** A UUID is used as given (the rows themselves are scoped); a slug must name an agent the caller can see. */
  private async agentIdOf(caller: Caller, ref: string): Promise<string | null> {
    const target = byRef(ref);
    if ('id' in target) return target.id;
    const row = await this.prisma.agent.findFirst({ where: { AND: [visible(caller, 'agent'), { slug: target.slug }] }, select: { id: true } });
    return row?.id ?? null;
  }

  private async projectIdOf(caller: Caller, ref: string): Promise<string | null> {
    const target = byRef(ref);
    if ('id' in target) return target.id;
    const row = await this.prisma.project.findFirst({ where: { AND: [visible(caller, 'project'), { slug: target.slug }] }, select: { id: true } });
    return row?.id ?? null;
  }

  private async agents(caller: Caller, now: Date) {
    const where = listed(caller, 'agent');
    const [counts, rows] = await Promise.all([
      this.prisma.agent.groupBy({ by: ['isActive'], where, _count: { _all: true } }),
      this.prisma.agent.findMany({
        where,
        orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
        take: AGENTS_SHOWN,
        select: { id: true, slug: true, name: true, avatar: true, model: true, isActive: true },
      }),
    ]);
    const since = new Date(now.getTime() - DAY_MS);
    const usage = await this.sql<{ id: string; lastActiveAt: Date | null; sessions: number; messages: number }>(AGENT_ACTIVITY, [
      ...scopeParams(caller),
      rows.map((r) => r.id),
      since,
    ]);
    const byId = new Map(usage.map((u) => [u.id, u]));
    const active = counts.find((c) => c.isActive)?._count._all ?? 0;
    const inactive = counts.find((c) => !c.isActive)?._count._all ?? 0;
    return {
      total: active + inactive,
      active,
      inactive,
      items: rows.map((r) => {
        const u = byId.get(r.id);
        return {
          ...r,
          lastActiveAt: u?.lastActiveAt ? new Date(u.lastActiveAt).toISOString() : null,
          sessions24h: u?.sessions ?? 0,
          messages24h: u?.messages ?? 0,
        };
      }),
    };
  }

  private async stats(caller: Caller, now: Date) {
    const [row] = await this.sql<StatsRow>(STATS, [
      ...scopeParams(caller),
      new Date(now.getTime() - DAY_MS),
      new Date(now.getTime() - 7 * DAY_MS),
    ]);
    const r = row!;
    return { last24h: window(r.s24, r.m24, r.r24, r.t24, r.c24), last7d: window(r.s7, r.m7, r.r7, r.t7, r.c7) };
  }
}
