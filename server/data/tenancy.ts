import type { Role } from '../../generated/sdk/types.gen.js';
import type { Prisma } from '../db/database.js';
import type { Caller } from './caller.js';

/**
 * Tenancy, stated once. Every query of the data layer takes its scope from here, by resource kind; no
 * store writes an org, workspace or "not deleted" filter of its own. A row outside the scope answers
 * exactly like a missing one.
 *
 * Workspace visibility: owners and admins see every live workspace of their org, members those they were
 * granted. A workspace-scoped row (agents, sessions) is org-wide (no workspace) or in one workspace:
 * - visible (reads by id or slug): org-wide, or in a workspace the caller can see;
 * - listed (lists): org-wide, or in the caller's current workspace;
 * and live (not soft-deleted) unless a query asks for deleted rows too.
 */

/** The roles that see every workspace of their org. */
const SEES_EVERY_WORKSPACE: readonly Role[] = ['owner', 'admin'];
export const seesEveryWorkspace = (caller: Pick<Caller, 'role'>) => SEES_EVERY_WORKSPACE.includes(caller.role);

/** The workspace-scoped kinds: declaring a kind here is what gives a new resource its tenancy. */
const KINDS = {
  agent: { softDelete: true },
  session: { softDelete: true },
  project: { softDelete: true },
} as const;
export type ScopedKind = keyof typeof KINDS;

interface WhereOf {
  agent: Prisma.AgentWhereInput;
  session: Prisma.SessionWhereInput;
  project: Prisma.ProjectWhereInput;
}

interface ScopeOptions {
  /** Soft-deleted rows too (a repeated DELETE answers like the first). */
  deleted?: boolean;
}

const live = (kind: ScopedKind, options: ScopeOptions = {}) => (KINDS[kind].softDelete && !options.deleted ? { deletedAt: null } : {});

/** Live workspaces of the caller's org that the caller may see. */
export function visibleWorkspaces(caller: Caller): Prisma.WorkspaceWhereInput {
  return seesEveryWorkspace(caller)
    ? { orgId: caller.orgId, deletedAt: null }
    : { orgId: caller.orgId, deletedAt: null, access: { some: { userId: caller.userId } } };
}

/** Rows of `kind` the caller may read. */
export function visible<K extends ScopedKind>(caller: Caller, kind: K, options?: ScopeOptions): WhereOf[K] {
  return { orgId: caller.orgId, ...live(kind, options), OR: [{ workspaceId: null }, { workspace: visibleWorkspaces(caller) }] };
}

/** Rows of `kind` the caller's lists show. */
export function listed<K extends ScopedKind>(caller: Caller, kind: K): WhereOf[K] {
  const workspaces: Array<string | null> = caller.currentWorkspaceId ? [null, caller.currentWorkspaceId] : [null];
  return { orgId: caller.orgId, ...live(kind), OR: workspaces.map((workspaceId) => ({ workspaceId })) };
}

/**
 * The org-wide exceptions, named: an agent slug is unique in the whole org, the plan's agent limit counts
 * the whole org, the default agent belongs to the org, and the agents taking part in a session the caller
 * can see are reached through that session wherever they live. Nothing else may scope by org alone.
 */
export function orgWide<K extends ScopedKind>(orgId: string, kind: K): WhereOf[K] {
  return { orgId, ...live(kind) };
}

/**
 * Billing is the organization's, not a workspace's: its balance, its credit ledger and the usage of every
 * reply it paid for, whatever workspace the reply was made in. Every member reads the same figures.
 */
export const billedTo = (caller: Pick<Caller, 'orgId'>) => ({ orgId: caller.orgId });
/** `billedTo` as SQL over the table itself: $1 is the org id. */
export const billedToSql = '"orgId" = $1::uuid';
/** The caller's own organization row (aliased `alias`), whose balance it spends: $1 is the org id. */
export const billedOrgSql = (alias: string) => `${alias}.id = $1::uuid`;

/**
 * The organization itself and what belongs to it as a whole, not to a workspace: its row (live), its
 * memberships and its invites. Every member reads the same; who may change them is server/domain/members.ts.
 */
export const ownOrg = (caller: Pick<Caller, 'orgId'>) => ({ id: caller.orgId, deletedAt: null });
export const orgMembers = (caller: Pick<Caller, 'orgId'>) => ({ orgId: caller.orgId });
export const orgInvites = (caller: Pick<Caller, 'orgId'>) => ({ orgId: caller.orgId });
/** The workspaces of the org, deleted ones included (a removed member's access goes with every one). */
export const orgWorkspaces = (caller: Pick<Caller, 'orgId'>) => ({ orgId: caller.orgId });
/** `orgWorkspaces` and `orgMembers` as SQL over the table itself, or the row aliased `alias`: $1 is the org id. */
export const orgRowsSql = (alias?: string) => `${alias ? `${alias}.` : ''}"orgId" = $1::uuid`;

/**
 * Webhook endpoints are the organization's, not a workspace's: every endpoint of the org, live unless a
 * query asks for deleted ones too (a repeated DELETE). Who may read or change them is server/domain/members.ts.
 */
export const orgWebhooks = (caller: Pick<Caller, 'orgId'>, options: ScopeOptions = {}): Prisma.WebhookEndpointWhereInput => ({
  orgId: caller.orgId,
  ...(options.deleted ? {} : { deletedAt: null }),
});

/** API keys: owners and admins see every key of the org, members their own. */
export function visibleKeys(caller: Caller): Prisma.ApiKeyWhereInput {
  return seesEveryWorkspace(caller) ? { orgId: caller.orgId } : { orgId: caller.orgId, userId: caller.userId };
}

/** SQL: whether workspace `w` (a row alias) is one the user may see, given their role and id as SQL expressions. */
export const workspaceVisibleSql = (w: string, role: string, userId: string) =>
  `(${role} IN (${SEES_EVERY_WORKSPACE.map((r) => `'${r}'`).join(', ')}) OR EXISTS (
    SELECT 1 FROM "WorkspaceAccess" a WHERE a."workspaceId" = ${w}.id AND a."userId" = ${userId}))`;

/**
 * `visible(caller, kind)` as SQL over a row aliased `t`, for the hand-written hot reads. Its parameters
 * are $1 to $3 = scopeParams(caller), so a statement's own parameters start at $4.
 */
export function visibleSql(kind: ScopedKind): string {
  const deleted = KINDS[kind].softDelete ? ' AND t."deletedAt" IS NULL' : '';
  return `t."orgId" = $1::uuid${deleted} AND (t."workspaceId" IS NULL OR EXISTS (
  SELECT 1 FROM "Workspace" w WHERE w.id = t."workspaceId" AND w."orgId" = $1::uuid AND w."deletedAt" IS NULL
    AND ${workspaceVisibleSql('w', '$2::text', '$3::uuid')}))`;
}
export const scopeParams = (caller: Caller): unknown[] => [caller.orgId, caller.role, caller.userId];

/** `orgWide(orgId, kind)` as SQL over the table itself, or the row aliased `alias`: $1 is the org id. */
export function orgWideSql(kind: ScopedKind, alias?: string): string {
  const col = (name: string) => (alias ? `${alias}."${name}"` : `"${name}"`);
  return `${col('orgId')} = $1::uuid${KINDS[kind].softDelete ? ` AND ${col('deletedAt')} IS NULL` : ''}`;
}

/**
 * Activity rows are scoped as their subjects were when the row was written: the subject's workspace (or
 * org-wide), and for a user-private subject (an API key) its user, whom owners and admins see too. A row
 * about something the caller could not see is not shown. As SQL over a row aliased `t`, with $1 to $3 =
 * scopeParams(caller).
 */
export const activityVisibleSql = `t."orgId" = $1::uuid
  AND (t."privateToUserId" IS NULL OR t."privateToUserId" = $3::uuid OR $2::text IN (${SEES_EVERY_WORKSPACE.map((r) => `'${r}'`).join(', ')}))
  AND (t."workspaceId" IS NULL OR EXISTS (
    SELECT 1 FROM "Workspace" w WHERE w.id = t."workspaceId" AND w."orgId" = $1::uuid AND w."deletedAt" IS NULL
      AND ${workspaceVisibleSql('w', '$2::text', '$3::uuid')}))`;

/**
 * A project reached by a share link's token, with no caller: live, in a live org and, when it has one, a
 * live workspace. The link is the project's; nothing else of the org is reached through it.
 */
export const sharedProject = (): Prisma.ProjectWhereInput => ({
  deletedAt: null,
  org: { deletedAt: null },
  OR: [{ workspaceId: null }, { workspace: { deletedAt: null } }],
});
