import { randomUUID } from 'node:crypto';
import type { Prisma, PrismaClient, Sql } from '../db/database.js';
import { workspaceSummary, type WorkspaceChange } from '../domain/workspaces.js';
import type { RevocationBus } from '../revocations.js';
import { actorOf, type ActivityEntry } from './activity.js';
import type { Caller } from './caller.js';
import { orgMembers, orgRowsSql, workspaceVisibleSql } from './tenancy.js';

/**
 * What workspace changes share: moving members off a current workspace they can no longer see, and
 * making that reach their API keys at once (the key cache holds the current workspace for up to 1 s).
 */

/**
 * Memberships of the org ($1) whose current workspace is $2 but who can no longer see it (deleted, or
 * their grant gone) move to the oldest live workspace they can see, or to none; `$3` narrows it to one
 * user (null: everyone). Returns the users who moved.
 */
const MOVE_OFF = `
  UPDATE "Membership" m SET "currentWorkspaceId" = (
    SELECT w.id FROM "Workspace" w
    WHERE ${orgRowsSql('w')} AND w."deletedAt" IS NULL AND ${workspaceVisibleSql('w', 'm.role::text', 'm."userId"')}
    ORDER BY w."createdAt", w.id LIMIT 1)
  WHERE ${orgRowsSql('m')} AND m."currentWorkspaceId" = $2::uuid AND ($3::uuid IS NULL OR m."userId" = $3::uuid)
    AND NOT EXISTS (
      SELECT 1 FROM "Workspace" c
      WHERE c.id = $2::uuid AND c."deletedAt" IS NULL AND ${workspaceVisibleSql('c', 'm.role::text', 'm."userId"')})
  RETURNING m."userId"`;

export async function moveOff(sql: Sql, orgId: string, workspaceId: string, userId: string | null = null): Promise<string[]> {
  const rows = await sql<{ userId: string }>(MOVE_OFF, [orgId, workspaceId, userId]);
  return rows.map((r) => r.userId);
}

/** Drops the users' cached key identities on every server, after the change committed. */
export async function evictKeysOf(prisma: PrismaClient, revocations: RevocationBus, caller: Caller, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  const keys = await prisma.apiKey.findMany({ where: { ...orgMembers(caller), userId: { in: userIds }, revokedAt: null }, select: { id: true } });
  for (const k of keys) await revocations.publish(k.id);
}

/** A workspace change's activity row, named after the cookie caller; `member` is the user a grant names. */
export function workspaceEntry(
  caller: Caller,
  change: WorkspaceChange,
  workspace: { id: string; name: string },
  member?: { id: string; email: string },
): ActivityEntry {
  const actor = actorOf(caller);
  return {
    kind: `workspace.${change}`,
    actor,
    subject: { type: 'workspace', id: workspace.id, name: workspace.name },
    orgId: caller.orgId,
    // A deleted workspace's row stays in the org-wide feed; the others are seen where the workspace is.
    workspaceId: change === 'deleted' ? null : workspace.id,
    summary: workspaceSummary(change, workspace.name, actor, member?.email),
    details: member ? { userId: member.id } : null,
  };
}

export type Tx = Prisma.TransactionClient;
export const newId = () => randomUUID();
