import type { Sql } from '../db/database.js';
import type { ActivityEntry, Actor } from '../domain/activity.js';
import type { Caller } from './caller.js';

// The row's shape and wording rules are the domain's; re-exported for the stores that write rows.
export { ACTIVITY_KINDS, EXCERPT_CHARS, SYSTEM_ACTOR, excerpt } from '../domain/activity.js';
export type { ActivityEntry, ActivityKind, Actor, SubjectType } from '../domain/activity.js';

/**
 * The activity feed's write side. Every state change writes one row through `ActivityLog.record` (or its
 * statement, inside a larger one) on the change's own transaction, so a rolled-back change leaves no row
 * and an acknowledged one always has its row. The feed's read side is the mission control store.
 */

/**
 * The caller as the feed names it: the API key that made the request, by the key's name; or, for a
 * dashboard session, the user, by name (or email when the user has none).
 */
export const actorOf = (caller: Pick<Caller, 'via' | 'keyId' | 'keyName' | 'userId' | 'userName'>): Actor =>
  caller.via === 'session' || caller.keyId === null
    ? { type: 'user', id: caller.userId, name: caller.userName ?? caller.keyName }
    : { type: 'api_key', id: caller.keyId, name: caller.keyName };
const COLUMNS = [
  'orgId', 'workspaceId', 'privateToUserId', 'kind', 'actorType', 'actorId', 'actorName', 'subjectType', 'subjectId',
  'subjectName', 'agentId', 'projectId', 'machineId', 'summary', 'details',
] as const;
const CASTS: Partial<Record<(typeof COLUMNS)[number], string>> = {
  orgId: 'uuid', workspaceId: 'uuid', privateToUserId: 'uuid', actorId: 'uuid', subjectId: 'uuid', agentId: 'uuid',
  projectId: 'uuid', machineId: 'uuid', details: 'jsonb',
};

/**
 * The INSERT of one row with its parameters numbered from `$first`, to run alone or as a CTE of a larger
 * statement. With `from` (a CTE's name) the row is written once per row of it: none when the change it
 * records turned out to be a no-op (ON CONFLICT DO NOTHING).
 */
export function insertActivitySql(first = 1, from?: string): string {
  const values = COLUMNS.map((c, i) => `$${first + i}${CASTS[c] ? `::${CASTS[c]}` : ''}`);
  const columns = `INSERT INTO "Activity" (${COLUMNS.map((c) => `"${c}"`).join(', ')})`;
  return from ? `${columns} SELECT ${values.join(', ')} FROM ${from}` : `${columns} VALUES (${values.join(', ')})`;
}

export class ActivityLog {
  /** `machineId`: the server process that handles the requests, named in every row it writes; null for the operator's commands. */
  constructor(readonly machineId: string | null) {}

  /** The parameters of `insertActivitySql` for one entry, in column order. */
  params(entry: ActivityEntry): unknown[] {
    return [
      entry.orgId, entry.workspaceId, entry.privateToUserId ?? null, entry.kind, entry.actor.type, entry.actor.id,
      entry.actor.name, entry.subject.type, entry.subject.id, entry.subject.name, entry.agentId ?? null,
      entry.projectId ?? null, this.machineId, entry.summary, entry.details ? JSON.stringify(entry.details) : null,
    ];
  }

  /** Writes the row through `sql`, which must belong to the change's own transaction. */
  async record(sql: Sql, entry: ActivityEntry): Promise<void> {
    await sql(insertActivitySql(), this.params(entry));
  }
}
