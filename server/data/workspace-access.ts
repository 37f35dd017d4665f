import type { WorkspaceMember } from '../../generated/sdk/types.gen.js';
import { sqlThroughPrisma, type PrismaClient } from '../db/database.js';
import { requireWorkspaceManager } from '../domain/workspaces.js';
import { notFound } from '../errors.js';
import type { RevocationBus } from '../revocations.js';
import type { ActivityLog } from './activity.js';
import type { Caller } from './caller.js';
import { iso } from './serialize.js';
import { orgMembers, visibleWorkspaces } from './tenancy.js';
import { evictKeysOf, moveOff, workspaceEntry, type Tx } from './workspace-moves.js';

type GrantRow = { userId: string; createdAt: Date; user: { email: string; name: string | null; memberships: Array<{ role: WorkspaceMember['role'] }> } };

/**
 * Who was granted which workspace (WorkspaceAccess rows, by id). A workspace the caller cannot see is a
 * 404 before any role check, as everywhere; one they see is a 403 to members. Grants and revocations are idempotent:
 * a repeat changes nothing and writes no activity row. Visibility is read from the grants on every
 * query; a change also evicts the member's cached keys, whose current workspace may have moved.
 */
export class WorkspaceAccessStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly revocations: RevocationBus,
    private readonly activity: ActivityLog,
  ) {}

  async list(caller: Caller, workspaceId: string): Promise<WorkspaceMember[]> {
    await this.workspace(this.prisma, caller, workspaceId);
    const rows = await this.prisma.workspaceAccess.findMany({
      where: { workspaceId, user: { deletedAt: null, memberships: { some: orgMembers(caller) } } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      include: this.include(caller),
    });
    return rows.map(toMember);
  }

  /** Grants access; a member without a current workspace gets this one. */
  async grant(caller: Caller, workspaceId: string, userId: string): Promise<WorkspaceMember> {
    const { row, changed } = await this.prisma.$transaction(async (tx) => {
      const workspace = await this.workspace(tx, caller, workspaceId);
      requireWorkspaceManager(caller.role);
      const member = await this.member(tx, caller, userId);
      const { count } = await tx.workspaceAccess.createMany({ data: [{ workspaceId, userId }], skipDuplicates: true });
      if (count === 1) {
        await tx.membership.updateMany({ where: { id: member.id, currentWorkspaceId: null }, data: { currentWorkspaceId: workspaceId } });
        await this.activity.record(sqlThroughPrisma(tx), workspaceEntry(caller, 'access_granted', workspace, { id: userId, email: member.user.email }));
      }
      const row = await tx.workspaceAccess.findUniqueOrThrow({ where: { workspaceId_userId: { workspaceId, userId } }, include: this.include(caller) });
      return { row, changed: count === 1 };
    });
    if (changed) await evictKeysOf(this.prisma, this.revocations, caller, [userId]);
    return toMember(row);
  }

  /** Revokes access at once; if it was the member's current workspace and they no longer see it, they move. */
  async revoke(caller: Caller, workspaceId: string, userId: string): Promise<void> {
    const changed = await this.prisma.$transaction(async (tx) => {
      const workspace = await this.workspace(tx, caller, workspaceId);
      requireWorkspaceManager(caller.role);
      const member = await this.member(tx, caller, userId);
      const { count } = await tx.workspaceAccess.deleteMany({ where: { workspaceId, userId } });
      if (count === 0) return false;
      const sql = sqlThroughPrisma(tx);
      await moveOff(sql, caller.orgId, workspaceId, userId);
      await this.activity.record(sql, workspaceEntry(caller, 'access_revoked', workspace, { id: userId, email: member.user.email }));
      return true;
    });
    if (changed) await evictKeysOf(this.prisma, this.revocations, caller, [userId]);
  }

  private async workspace(db: Tx | PrismaClient, caller: Caller, id: string): Promise<{ id: string; name: string }> {
    const row = await db.workspace.findFirst({ where: { id, ...visibleWorkspaces(caller) }, select: { id: true, name: true } });
    if (!row) throw notFound('Workspace');
    return row;
  }

  /** The user's membership of the caller's org; 404 for anyone else. */
  private async member(tx: Tx, caller: Caller, userId: string) {
    const row = await tx.membership.findFirst({
      where: { ...orgMembers(caller), userId, user: { deletedAt: null } },
      select: { id: true, user: { select: { email: true } } },
    });
    if (!row) throw notFound('Member');
    return row;
  }

  private include(caller: Caller) {
    return { user: { select: { email: true, name: true, memberships: { where: orgMembers(caller), select: { role: true } } } } } as const;
  }
}

const toMember = (r: GrantRow): WorkspaceMember => ({
  userId: r.userId,
  email: r.user.email,
  name: r.user.name,
  role: r.user.memberships[0]?.role ?? 'member',
  grantedAt: iso(r.createdAt),
});
