import type { Workspace } from '../../generated/sdk/types.gen.js';
import { sqlThroughPrisma, type Prisma, type PrismaClient, type Sql } from '../db/database.js';
import { requireAnotherWorkspace, requireWorkspaceManager, workspaceName, workspaceSlugBase } from '../domain/workspaces.js';
import { notFound } from '../errors.js';
import type { RevocationBus } from '../revocations.js';
import { insertActivitySql, type ActivityLog } from './activity.js';
import type { Caller } from './caller.js';
import { SlugAllocator } from './slug-allocator.js';
import { orgRowsSql, visibleWorkspaces } from './tenancy.js';
import { iso } from './serialize.js';
import { evictKeysOf, moveOff, newId, workspaceEntry } from './workspace-moves.js';

export function toWorkspace(row: Prisma.WorkspaceGetPayload<object>): Workspace {
  return { id: row.id, orgId: row.orgId, slug: row.slug, name: row.name, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt) };
}

/**
 * One statement: the workspace, the creator's grant, the creator's current workspace when they had none,
 * and the activity row. $1 org, $2 id, $3 slug, $4 name, $5 user, $6 whether the caller had no current
 * workspace; the activity row's parameters follow.
 */
const CREATE = `
  WITH w AS (INSERT INTO "Workspace" (id, "orgId", slug, name) VALUES ($2::uuid, $1::uuid, $3, $4) RETURNING id),
  a AS (INSERT INTO "WorkspaceAccess" ("workspaceId", "userId") SELECT id, $5::uuid FROM w),
  m AS (UPDATE "Membership" SET "currentWorkspaceId" = $2::uuid WHERE ${orgRowsSql()} AND "userId" = $5::uuid AND $6::boolean),
  act AS (${insertActivitySql(7, 'w')})
  SELECT id FROM w`;

/**
 * Workspaces: reads for every caller, administration for owners and admins (browser-only, contract).
 * Deleting is soft; tenancy (visibleWorkspaces) hides a deleted workspace and whatever lives in it.
 */
export class WorkspaceStore {
  private readonly slugs: SlugAllocator;
  private readonly sql: Sql;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly revocations: RevocationBus,
    private readonly activity: ActivityLog,
  ) {
    this.sql = sqlThroughPrisma(prisma);
    this.slugs = new SlugAllocator(prisma, this.sql, 'workspace');
  }

  async list(caller: Caller): Promise<Workspace[]> {
    const rows = await this.prisma.workspace.findMany({
      where: visibleWorkspaces(caller),
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toWorkspace);
  }

  async get(caller: Caller, id: string): Promise<Workspace> {
    const row = await this.prisma.workspace.findFirst({ where: { id, ...visibleWorkspaces(caller) } });
    if (!row) throw notFound('Workspace');
    return toWorkspace(row);
  }

  async create(caller: Caller, body: { name: string }): Promise<Workspace> {
    requireWorkspaceManager(caller.role);
    const name = workspaceName(body.name);
    const id = newId();
    const hadNone = caller.currentWorkspaceId === null;
    const entry = this.activity.params(workspaceEntry(caller, 'created', { id, name }));
    await this.slugs.create(caller.orgId, workspaceSlugBase(name), (sql, slug) => sql(CREATE, [caller.orgId, id, slug, name, caller.userId, hadNone, ...entry]), 'workspaces');
    if (hadNone) await evictKeysOf(this.prisma, this.revocations, caller, [caller.userId]);
    return this.get(caller, id);
  }

  /** Renames; the slug stays, as an agent's does. */
  async update(caller: Caller, id: string, body: { name: string }): Promise<Workspace> {
    const name = workspaceName(body.name);
    const row = await this.prisma.$transaction(async (tx) => {
      // A workspace the caller cannot see is a 404 whatever their role; one they see, a 403 to members.
      if (!(await tx.workspace.findFirst({ where: { id, ...visibleWorkspaces(caller) }, select: { id: true } }))) throw notFound('Workspace');
      requireWorkspaceManager(caller.role);
      const { count } = await tx.workspace.updateMany({ where: { id, ...visibleWorkspaces(caller) }, data: { name } });
      if (count === 0) throw notFound('Workspace');
      await this.activity.record(sqlThroughPrisma(tx), workspaceEntry(caller, 'updated', { id, name }));
      return tx.workspace.findUniqueOrThrow({ where: { id } });
    });
    return toWorkspace(row);
  }

  /**
   * Soft-deletes, refusing the org's last live workspace. The org's live workspace rows are locked first,
   * so two deletes at once cannot remove the last two. Its agents, sessions and projects are deleted with it,
 * and whoever had it as current workspace moves.
   */
  async remove(caller: Caller, id: string): Promise<void> {
    const moved = await this.prisma.$transaction(async (tx) => {
      const sql = sqlThroughPrisma(tx);
      const live = await sql<{ id: string }>(`SELECT id FROM "Workspace" WHERE ${orgRowsSql()} AND "deletedAt" IS NULL ORDER BY id FOR UPDATE`, [
        caller.orgId,
      ]);
      const target = await tx.workspace.findFirst({ where: { id, ...visibleWorkspaces(caller) } });
      if (!target) throw notFound('Workspace');
      requireWorkspaceManager(caller.role);
      requireAnotherWorkspace(live.length);
      const deletedAt = new Date();
      await tx.workspace.update({ where: { id: target.id }, data: { deletedAt } });
      // What lived in it goes with it: otherwise its agents would still count against the plan's limit
      // and hold their org-wide slugs while nobody can see, use or delete them.
      const inIt = { workspaceId: target.id, deletedAt: null };
      await tx.agent.updateMany({ where: inIt, data: { deletedAt } });
      await tx.session.updateMany({ where: inIt, data: { deletedAt } });
      await tx.project.updateMany({ where: inIt, data: { deletedAt } });
      const users = await moveOff(sql, caller.orgId, target.id);
      await this.activity.record(sql, workspaceEntry(caller, 'deleted', target));
      return users;
    });
    await evictKeysOf(this.prisma, this.revocations, caller, moved);
  }
}
