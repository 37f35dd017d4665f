import type { AcceptOrgInviteResponse, CreateOrgInviteResponse, OrgInvite, Role } from '../../generated/sdk/types.gen.js';
import { isUniqueViolation, sqlThroughPrisma, type PrismaClient } from '../db/database.js';
import { INVITE_TTL_MS, inviteUrl, memberSummary, normalizeEmail, requireManager, requireMayGrant } from '../domain/members.js';
import { after, decodeCursor, toPage, type Page } from '../domain/pagination.js';
import { checkPassword, generateLinkToken, hashLinkToken, hashPassword } from '../domain/passwords.js';
import { ApiError, notFound } from '../errors.js';
import { actorOf, type ActivityEntry, type ActivityLog, type Actor } from './activity.js';
import type { Caller } from './caller.js';
import { memberActivity } from './members.js';
import { iso } from './serialize.js';
import { orgInvites, orgMembers, orgWorkspaces } from './tenancy.js';

type Created = CreateOrgInviteResponse['data'];
type Accepted = AcceptOrgInviteResponse['data'];
type InviteRow = { id: string; email: string; role: Role; createdAt: Date; expiresAt: Date };

// One answer for a token that is unknown, expired, revoked or used: it says nothing about which exist.
const inviteNotFound = () => new ApiError('NOT_FOUND', 'Invite not found: it is unknown, expired, revoked or already used; ask for a new one');
// Exactly sign-in's answer to a wrong password.
const WRONG_LOGIN = 'Wrong email or password';

const toInvite = (r: InviteRow): OrgInvite => ({ id: r.id, email: r.email, role: r.role, createdAt: iso(r.createdAt), expiresAt: iso(r.expiresAt) });
/** Invites that can still be accepted. */
const open = (now = new Date()) => ({ acceptedAt: null, revokedAt: null, expiresAt: { gt: now } });

/** What the invite store needs from the password store: sign-in's check, with its equalized timing. */
export interface InvitePasswords {
  verifyLogin(email: string, password: string): Promise<{ userId: string } | null>;
}

function inviteActivity(kind: 'member.invited' | 'member.invite_revoked', actor: Actor, orgId: string, invite: InviteRow, userId: string): ActivityEntry {
  return {
    kind,
    actor,
    subject: { type: 'invite', id: invite.id, name: invite.email },
    orgId,
    workspaceId: null,
    // Invites are read by owners and admins only; the row is theirs and its author's.
    privateToUserId: userId,
    summary: memberSummary(kind === 'member.invited' ? 'invited' : 'invite_revoked', invite.email, actor, invite.role),
    details: { role: invite.role },
  };
}

/** Invitations to join an organization: one-time links; only the token's SHA-256 is stored. */
export class InviteStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly passwords: InvitePasswords,
    private readonly activity: ActivityLog,
  ) {}

  async list(caller: Caller, query: { limit?: number; cursor?: string }): Promise<Page<OrgInvite>> {
    requireManager(caller.role);
    const limit = query.limit ?? 100;
    const rows = await this.prisma.orgInvite.findMany({
      where: { AND: [orgInvites(caller), open(), after('createdAt', decodeCursor(query.cursor))] },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    return toPage(rows, limit, (r) => r.createdAt, toInvite);
  }

  /** A new invite, replacing the email's open one; 409 for someone already a member. */
  async create(caller: Caller, body: { email: string; role: Role }, origin: string): Promise<Created> {
    requireMayGrant(caller.role, body.role);
    const email = normalizeEmail(body.email);
    const member = await this.prisma.membership.findFirst({ where: { ...orgMembers(caller), user: { email } }, select: { id: true } });
    if (member) throw new ApiError('CONFLICT', `${email} is already a member of this organization`);
    const { token, hash } = generateLinkToken();
    try {
      const row = await this.prisma.$transaction(async (tx) => {
        await tx.orgInvite.updateMany({ where: { ...orgInvites(caller), email, acceptedAt: null, revokedAt: null }, data: { revokedAt: new Date() } });
        const now = new Date();
        const created = await tx.orgInvite.create({
          data: { orgId: caller.orgId, email, role: body.role, tokenHash: hash, invitedById: caller.userId, createdAt: now, expiresAt: new Date(now.getTime() + INVITE_TTL_MS) },
        });
        await this.activity.record(sqlThroughPrisma(tx), inviteActivity('member.invited', actorOf(caller), caller.orgId, created, caller.userId));
        return created;
      });
      return { ...toInvite(row), url: inviteUrl(origin, token) };
    } catch (err) {
      // Two invites of the same email at once: one wins the one-open-invite index.
      if (isUniqueViolation(err)) throw new ApiError('CONFLICT', `Another invite of ${email} was made at the same time; list the invites`);
      throw err;
    }
  }

  async revoke(caller: Caller, id: string): Promise<void> {
    requireManager(caller.role);
    const invite = await this.prisma.orgInvite.findFirst({ where: { ...orgInvites(caller), id, ...open() } });
    if (!invite) throw notFound('Invite');
    requireMayGrant(caller.role, invite.role);
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.orgInvite.updateMany({ where: { id, acceptedAt: null, revokedAt: null }, data: { revokedAt: new Date() } });
      if (count === 0) throw notFound('Invite');
      await this.activity.record(sqlThroughPrisma(tx), inviteActivity('member.invite_revoked', actorOf(caller), caller.orgId, invite, caller.userId));
    });
  }

  /**
   * Uses the invite up and makes the membership, atomically: of two concurrent uses one wins. A new email
   * becomes a user with this password (policy first: a refused password leaves the link usable); an
   * existing user must prove the password is theirs (401, as a wrong sign-in).
   */
  async accept(body: { token: string; password: string; name?: string }): Promise<Accepted> {
    const invite = await this.prisma.orgInvite.findUnique({ where: { tokenHash: hashLinkToken(body.token) }, include: { org: true } });
    const now = new Date();
    if (!invite || invite.acceptedAt || invite.revokedAt || invite.expiresAt <= now || invite.org.deletedAt) throw inviteNotFound();
    const existing = await this.prisma.user.findUnique({ where: { email: invite.email }, select: { id: true } });
    let passwordHash: string | null = null;
    if (existing) {
      if (!(await this.passwords.verifyLogin(invite.email, body.password))) throw new ApiError('UNAUTHORIZED', WRONG_LOGIN);
    } else {
      passwordHash = await hashPassword(checkPassword(body.password, 'body.password'));
    }
    const orgScope = orgMembers({ orgId: invite.orgId });
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.orgInvite.updateMany({ where: { id: invite.id, ...open(now) }, data: { acceptedAt: now } });
      if (count === 0) throw inviteNotFound();
      const user = existing
        ? await tx.user.findUniqueOrThrow({ where: { id: existing.id } })
        : await tx.user.create({ data: { email: invite.email, name: body.name?.trim() || null, passwordHash, passwordChangedAt: now } });
      if (await tx.membership.findFirst({ where: { ...orgScope, userId: user.id } })) {
        throw new ApiError('CONFLICT', 'You are already a member of this organization');
      }
      // The org's first live workspace, so the new member can work at once; admins and owners see all anyway.
      const workspace = await tx.workspace.findFirst({ where: { ...orgWorkspaces({ orgId: invite.orgId }), deletedAt: null }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      await tx.membership.create({ data: { ...orgScope, userId: user.id, role: invite.role, currentWorkspaceId: workspace?.id ?? null } });
      if (workspace) await tx.workspaceAccess.createMany({ data: [{ workspaceId: workspace.id, userId: user.id }], skipDuplicates: true });
      const actor: Actor = { type: 'user', id: user.id, name: user.name ?? user.email };
      await this.activity.record(sqlThroughPrisma(tx), memberActivity('member.joined', actor, invite.orgId, user, invite.role));
      return { userId: user.id, email: user.email, role: invite.role, org: { id: invite.org.id, slug: invite.org.slug, name: invite.org.name } };
    });
  }
}
