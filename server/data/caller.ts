import type { Role, Scope } from '../../generated/sdk/types.gen.js';
import type { Prisma } from '../db/database.js';

/** Who is calling, as established by the API key. Every data function takes one. */
export interface Caller {
  keyId: string;
  keyPrefix: string;
  orgId: string;
  userId: string;
  role: Role;
  scopes: Scope[];
  keyEnv: 'live' | 'test';
  /** The caller's current workspace, or null when it has none it can still see. */
  currentWorkspaceId: string | null;
}

export const seesEveryWorkspace = (caller: Caller) => caller.role === 'owner' || caller.role === 'admin';

/** Live workspaces of the caller's org that the caller may see. */
export function visibleWorkspaces(caller: Caller): Prisma.WorkspaceWhereInput {
  return seesEveryWorkspace(caller)
    ? { orgId: caller.orgId, deletedAt: null }
    : { orgId: caller.orgId, deletedAt: null, access: { some: { userId: caller.userId } } };
}

/**
 * Rows of the caller's org that are org-wide (no workspace) or in a workspace the caller may see. This is
 * the tenancy rule for reading agents and sessions: a row outside it answers exactly like a missing one.
 */
function visibleScope(caller: Caller) {
  return { orgId: caller.orgId, OR: [{ workspaceId: null }, { workspace: visibleWorkspaces(caller) }] };
}
export const visibleAgents = (caller: Caller): Prisma.AgentWhereInput => visibleScope(caller);

/**
 * The same rule in SQL, over a row aliased `t`, for the hand-written reads: parameters $1 to $3 are
 * visibleScopeParams(caller), so a statement's own parameters start at $4.
 */
export const VISIBLE_SCOPE_SQL = `t."orgId" = $1::uuid AND (t."workspaceId" IS NULL OR EXISTS (
  SELECT 1 FROM "Workspace" w WHERE w.id = t."workspaceId" AND w."orgId" = $1::uuid AND w."deletedAt" IS NULL
    AND ($2::boolean OR EXISTS (SELECT 1 FROM "WorkspaceAccess" a WHERE a."workspaceId" = w.id AND a."userId" = $3::uuid))))`;
export const visibleScopeParams = (caller: Caller): unknown[] => [caller.orgId, seesEveryWorkspace(caller), caller.userId];
export const visibleSessions = (caller: Caller): Prisma.SessionWhereInput => visibleScope(caller);

/** What lists show: org-wide rows plus those in the caller's current workspace. */
function listScope(caller: Caller) {
  const workspaces: Array<string | null> = caller.currentWorkspaceId ? [null, caller.currentWorkspaceId] : [null];
  return { orgId: caller.orgId, OR: workspaces.map((workspaceId) => ({ workspaceId })) };
}
export const listedAgents = (caller: Caller): Prisma.AgentWhereInput => listScope(caller);
export const listedSessions = (caller: Caller): Prisma.SessionWhereInput => listScope(caller);

export const hasScope = (caller: Caller, scope: Scope) => caller.scopes.includes('*') || caller.scopes.includes(scope);
