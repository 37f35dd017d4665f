import type { Activity } from '../../generated/sdk/types.gen.js';
import type { Sql } from '../db/database.js';
import { kindsMatching, containsPattern } from '../domain/mission-control.js';
import { decodeCursor, toPage, type Page } from '../domain/pagination.js';
import type { Caller } from './caller.js';
import { activityVisibleSql, scopeParams } from './tenancy.js';

/** The activity feed's read side: one statement, newest first, every filter served by an index of "Activity". */

export interface FeedFilters {
  kind?: string;
  /** Already resolved to ids: an unknown agent or project is an empty feed, decided by the caller. */
  agentId?: string;
  projectId?: string;
  machineIds?: string[];
  search?: string;
  limit: number;
  cursor?: string;
}

export type ActivityItem = Activity;

interface FeedRow {
  id: string;
  kind: Activity['kind'];
  actorType: Activity['actor']['type'];
  actorId: string | null;
  actorName: string;
  subjectType: Activity['subject']['type'];
  subjectId: string;
  subjectName: string;
  agentId: string | null;
  projectId: string | null;
  workspaceId: string | null;
  machineId: string | null;
  machineName: string | null;
  summary: string;
  details: Record<string, unknown> | null;
  createdAt: Date;
}

const SELECT = `SELECT t.id, t.kind, t."actorType", t."actorId", t."actorName", t."subjectType", t."subjectId", t."subjectName",
  t."agentId", t."projectId", t."workspaceId", t."machineId", m.name AS "machineName", t.summary, t.details, t."createdAt"
FROM "Activity" t LEFT JOIN "Machine" m ON m.id = t."machineId"`;

/** The statement and its parameters for one page of the feed ($1 to $3 are the caller's scope). */
export function feedQuery(caller: Caller, f: FeedFilters): { text: string; params: unknown[] } {
  const params: unknown[] = [...scopeParams(caller)];
  const where = [activityVisibleSql];
  const bind = (value: unknown, cast = '') => {
    params.push(value);
    return `$${params.length}${cast}`;
  };
  if (f.kind !== undefined) {
    const kinds = kindsMatching(f.kind);
    // One kind: an equality the (orgId, kind, createdAt) index serves; a prefix: the same index, per kind.
    where.push(kinds.length === 1 ? `t.kind = ${bind(kinds[0])}` : `t.kind = ANY(${bind(kinds, '::text[]')})`);
  }
  if (f.agentId !== undefined) where.push(`t."agentId" = ${bind(f.agentId, '::uuid')}`);
  if (f.projectId !== undefined) where.push(`t."projectId" = ${bind(f.projectId, '::uuid')}`);
  if (f.machineIds !== undefined) where.push(`t."machineId" = ANY(${bind(f.machineIds, '::uuid[]')})`);
  if (f.search !== undefined) where.push(`t."searchText" ILIKE ${bind(containsPattern(f.search))} ESCAPE '\\'`);
  const k = decodeCursor(f.cursor);
  if (k) {
    // The first conjunct lets the scan start at the cursor (see `after` in domain/pagination).
    const at = bind(k.at, '::timestamptz');
    where.push(`t."createdAt" <= ${at} AND (t."createdAt" < ${at} OR t.id < ${bind(k.id, '::uuid')})`);
  }
  const text = `${SELECT}\nWHERE ${where.join('\n  AND ')}\nORDER BY t."createdAt" DESC, t.id DESC\nLIMIT ${bind(f.limit + 1, '::int')}`;
  return { text, params };
}

const present = (r: FeedRow): ActivityItem => ({
  id: r.id,
  kind: r.kind,
  actor: { type: r.actorType, id: r.actorId, name: r.actorName },
  subject: { type: r.subjectType, id: r.subjectId, name: r.subjectName },
  agentId: r.agentId,
  projectId: r.projectId,
  workspaceId: r.workspaceId,
  machine: r.machineId ? { id: r.machineId, name: r.machineName } : null,
  summary: r.summary,
  details: r.details,
  createdAt: new Date(r.createdAt).toISOString(),
});

export async function readFeed(sql: Sql, caller: Caller, f: FeedFilters): Promise<Page<ActivityItem>> {
  const { text, params } = feedQuery(caller, f);
  const rows = await sql<FeedRow>(text, params);
  return toPage(rows, f.limit, (r) => new Date(r.createdAt), present);
}

/** One row by id, under the feed's own visibility rule: readable exactly when the caller's feed shows it. */
export async function readActivity(sql: Sql, caller: Caller, id: string): Promise<ActivityItem | undefined> {
  const rows = await sql<FeedRow>(`${SELECT}\nWHERE ${activityVisibleSql}\n  AND t.id = $4::uuid`, [...scopeParams(caller), id]);
  return rows[0] ? present(rows[0]) : undefined;
}

/**
 * Rows by id, whoever may see them, as the feed presents them: for the webhook engine, which sends each
 * row to the endpoints of the row's own organization (the fan-out chose them).
 */
export async function readActivitiesById(sql: Sql, ids: string[]): Promise<Map<string, ActivityItem>> {
  const rows = await sql<FeedRow>(`${SELECT}\nWHERE t.id = ANY($1::uuid[])`, [ids]);
  return new Map(rows.map((r) => [r.id, present(r)]));
}

export const emptyFeed = (limit: number): Page<ActivityItem> => ({ items: [], limit, nextCursor: null, hasMore: false });
