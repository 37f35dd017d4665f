import type { OrgMember, Role } from '../../generated/sdk/types.gen.js';
import { sqlThroughPrisma, type Prisma, type PrismaClient } from '../db/database.js';
import { memberSummary, requireAnOwnerLeft, requireMayManage } from '../domain/members.js';
import { after, decodeCursor, toPage, type Page } from '../domain/pagination.js';
import { notFound } from '../errors.js';
import type { RevocationBus } from '../revocations.js';
import { actorOf, type ActivityEntry, type ActivityLog, type Actor } from './activity.js';
import type { Caller } from './caller.js';
import { iso } from './serialize.js';
import { orgMembers, orgRowsSql, orgWorkspaces } from './tenancy.js';

type Tx = Prisma.TransactionClient;
type MemberRow = { id: string; userId: string; role: Role; createdAt: Date; user: { email: string; name: string | null } };

const toMember = (r: MemberRow): OrgMember => ({ userId: r.userId, email: r.user.email, name: r.user.name, role: r.role, createdAt: iso(r.createdAt) });

/** A membership change's activity row: org-wide, about the user, named by email. */
export function memberActivity(
  kind: 'member.joined' | 'member.updated' | 'member.removed',
  actor: Actor,
  orgId: string,
  user: { id: string; email: string },
  role?: Role,
): ActivityEntry {
  return {
    kind,
    actor,
    subject: { type: 'user', id: user.id, name: user.email },
    orgId,
    workspaceId: null,
    summary: memberSummary(kind === 'member.joined' ? 'joined' : kind === 'member.updated' ? 'updated' : 'removed', user.email, actor, role),
    details: role ? { role } : null,
  };
}

/**
 * The organization's members and their roles. Changes lock the org's owner rows first, so two owners
 * demoting each other at once cannot leave it with none. A change reaches the member's API keys at once:
 * their cached identities (role included) are evicted on every server after the commit.
 */
export class MemberStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly revocations: RevocationBus,
    private readonly activity: ActivityLog,
  ) {}

  async list(caller: Caller, query: { limit?: number; cursor?: string }): Promise<Page<OrgMember>> {
    const limit = query.limit ?? 100;
    const rows = await this.prisma.membership.findMany({
      where: { AND: [orgMembers(caller), { user: { deletedAt: null } }, after('createdAt', decodeCursor(query.cursor), 'asc')] },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit + 1,
      include: { user: { select: { email: true, name: true } } },
    });
    return toPage(rows, limit, (r) => r.createdAt, toMember);
  }

  async update(caller: Caller, userId: string, role: Role): Promise<OrgMember> {
    const { member, changed } = await this.prisma.$transaction(async (tx) => {
      const { target, owners } = await this.lockTarget(tx, caller, userId);
      requireMayManage(caller.role, target.role, userId === caller.userId, role);
      if (target.role === role) return { member: target, changed: false };
      requireAnOwnerLeft(target.role, role, owners);
      await tx.membership.update({ where: { id: target.id }, data: { role } });
      await this.activity.record(sqlThroughPrisma(tx), memberActivity('member.updated', actorOf(caller), caller.orgId, { id: userId, email: target.user.email }, role));
      return { member: { ...target, role }, changed: true };
    });
    if (changed) await this.evictKeys(caller, userId);
    return toMember(member);
  }

  /**
   * Removes the membership, the user's workspace access in this org, their keys of this org (revoked) and
   * their dashboard sessions in it (ended), in one transaction; then evicts the keys everywhere.
   */
  async remove(caller: Caller, userId: string): Promise<void> {
    const keyIds = await this.prisma.$transaction(async (tx) => {
      const { target, owners } = await this.lockTarget(tx, caller, userId);
      requireMayManage(caller.role, target.role, userId === caller.userId);
      requireAnOwnerLeft(target.role, undefined, owners);
      const now = new Date();
      const keys = await tx.apiKey.findMany({ where: { ...orgMembers(caller), userId, revokedAt: null }, select: { id: true } });
      await tx.apiKey.updateMany({ where: { id: { in: keys.map((k) => k.id) } }, data: { revokedAt: now } });
      await tx.browserSession.updateMany({ where: { ...orgMembers(caller), userId, revokedAt: null }, data: { revokedAt: now } });
      await tx.workspaceAccess.deleteMany({ where: { userId, workspace: orgWorkspaces(caller) } });
      await tx.membership.delete({ where: { id: target.id } });
      await this.activity.record(sqlThroughPrisma(tx), memberActivity('member.removed', actorOf(caller), caller.orgId, { id: userId, email: target.user.email }));
      return keys.map((k) => k.id);
    });
    for (const id of keyIds) await this.revocations.publish(id);
  }

  /** Locks the org's owner rows (counting them) and reads the target's membership; 404 outside the org. */
  private async lockTarget(tx: Tx, caller: Caller, userId: string): Promise<{ target: MemberRow; owners: number }> {
    const owners = await sqlThroughPrisma(tx)<{ id: string }>(
      `SELECT id FROM "Membership" WHERE ${orgRowsSql()} AND role = 'owner' ORDER BY id FOR UPDATE`,
      [caller.orgId],
    );
    const target = await tx.membership.findFirst({
      where: { ...orgMembers(caller), userId, user: { deletedAt: null } },
      include: { user: { select: { email: true, name: true } } },
    });
    if (!target) throw notFound('Member');
    return { target, owners: owners.length };
  }

  /** Drops the user's cached key identities on every server, so a new role applies at once. */
  private async evictKeys(caller: Caller, userId: string): Promise<void> {
    const keys = await this.prisma.apiKey.findMany({ where: { ...orgMembers(caller), userId, revokedAt: null }, select: { id: true } });
    for (const k of keys) await this.revocations.publish(k.id);
  }
}
