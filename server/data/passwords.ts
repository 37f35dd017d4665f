import type { Prisma, PrismaClient } from '../db/database.js';
import {
  PASSWORD_LINK_TTL_MS,
  checkPassword,
  generateLinkToken,
  hashLinkToken,
  hashPassword,
  verifyPassword,
} from '../domain/passwords.js';
import { ApiError } from '../errors.js';

// One answer for an unknown, expired or used token: it says nothing about which tokens ever existed.
const linkNotFound = () => new ApiError('NOT_FOUND', 'Password link not found: it is unknown, expired or already used; ask for a new one');

export interface SetPasswordOptions {
  /** The browser session that stays signed in; every other one of the user is ended. */
  keepSessionId?: string | null;
  /** Where a policy failure points (`details[].path`): the request field the password came in. */
  field?: string;
}

/** Users' password hashes and the one-time links that set them. Passwords themselves are never stored. */
export class PasswordStore {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * The live user with this email whose password matches, or null. An unknown email, a deleted user and
   * one without a password still verify against a dummy hash, so every failure costs the same.
   */
  async verifyLogin(email: string, password: string): Promise<{ userId: string } | null> {
    const user = await this.prisma.user.findUnique({
      where: { email: email.trim().toLowerCase() },
      select: { id: true, passwordHash: true, deletedAt: true },
    });
    const live = user && user.deletedAt === null ? user : null;
    const matches = await verifyPassword(live?.passwordHash ?? null, password);
    return live && matches ? { userId: live.id } : null;
  }

  /** Whether `password` is this user's (false for a user without one, after the same work). */
  async verifyUser(userId: string, password: string): Promise<boolean> {
    const user = await this.prisma.user.findUnique({ where: { id: userId }, select: { passwordHash: true } });
    return verifyPassword(user?.passwordHash ?? null, password);
  }

  /** The id of the live user with this email, or null. */
  async userByEmail(email: string): Promise<{ userId: string; email: string } | null> {
    const user = await this.prisma.user.findUnique({ where: { email: email.trim().toLowerCase() } });
    return user && user.deletedAt === null ? { userId: user.id, email: user.email } : null;
  }

  /**
   * Checks the policy (422), then stores the hash and ends the user's other browser sessions in one
   * transaction: whoever knew the old password loses the sessions it opened.
   */
  async setPassword(userId: string, password: string, options: SetPasswordOptions = {}): Promise<{ endedSessions: number }> {
    const hash = await hashPassword(checkPassword(password, options.field));
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.user.updateMany({ where: { id: userId, deletedAt: null }, data: { passwordHash: hash, passwordChangedAt: new Date() } });
      if (count === 0) throw new ApiError('NOT_FOUND', 'User not found');
      return { endedSessions: await endSessions(tx, userId, options.keepSessionId ?? null) };
    });
  }

  /** A new one-time link for the user, valid `ttlMs`; only the token's hash is stored. */
  async createLink(userId: string, ttlMs = PASSWORD_LINK_TTL_MS): Promise<{ token: string; expiresAt: Date }> {
    const { token, hash } = generateLinkToken();
    const expiresAt = new Date(Date.now() + ttlMs);
    await this.prisma.passwordLink.create({ data: { userId, tokenHash: hash, expiresAt } });
    return { token, expiresAt };
  }

  /**
   * Sets the password through a link and uses the link up, atomically: of two concurrent uses only one
   * wins. The policy is checked first, so a refused password leaves the link usable. 404 for a token that
   * is unknown, expired or used; every session of the user ends (nobody is signed in through a link).
   */
  async useLink(token: string, password: string): Promise<{ userId: string; email: string }> {
    const hash = await hashPassword(checkPassword(password, 'body.password'));
    const tokenHash = hashLinkToken(token);
    return this.prisma.$transaction(async (tx) => {
      const link = await tx.passwordLink.findUnique({ where: { tokenHash }, include: { user: true } });
      const now = new Date();
      if (!link || link.expiresAt <= now || link.user.deletedAt !== null) throw linkNotFound();
      // The one check for "not used yet": a conditional update, so a concurrent use waits for this row and
      // then finds it used.
      const { count } = await tx.passwordLink.updateMany({ where: { id: link.id, usedAt: null }, data: { usedAt: now } });
      if (count === 0) throw linkNotFound();
      await tx.user.update({ where: { id: link.userId }, data: { passwordHash: hash, passwordChangedAt: now } });
      await endSessions(tx, link.userId, null);
      return { userId: link.userId, email: link.user.email };
    });
  }

  /**
   * A signed-in user's change: 403 when `currentPassword` is wrong (the caller is authenticated, it fails
   * to prove it knows the password), else the new one is set and every session but `keepSessionId` ends.
   */
  async change(userId: string, currentPassword: string, newPassword: string, keepSessionId: string | null) {
    if (!(await this.verifyUser(userId, currentPassword))) {
      throw new ApiError('FORBIDDEN', 'The current password is wrong', [{ path: 'body.currentPassword', message: 'is wrong' }]);
    }
    return this.setPassword(userId, newPassword, { keepSessionId, field: 'body.newPassword' });
  }
}

/** Ends the user's live browser sessions except `keep` (null: all of them); how many it ended. */
function endSessions(tx: Prisma.TransactionClient, userId: string, keep: string | null): Promise<number> {
  return tx.$executeRaw`
    UPDATE "BrowserSession" SET "revokedAt" = now()
    WHERE "userId" = ${userId}::uuid AND "revokedAt" IS NULL AND (${keep}::uuid IS NULL OR id <> ${keep}::uuid)`;
}
