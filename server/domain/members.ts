import type { Role } from '../../generated/sdk/types.gen.js';
import { ApiError } from '../errors.js';
import { actorPhrase, type Actor } from './activity.js';

/**
 * Who may manage an organization's members, settings and invites, as plain rules. Owners manage everyone;
 * admins manage plain members only (never an owner, another admin or themselves) and cannot make anyone
 * an owner; members manage nobody. An organization always keeps at least one owner.
 */

const MANAGERS: readonly Role[] = ['owner', 'admin'];

/** Accepting an invite's operationId: the CSRF rule guards it even without a cookie, like sign-in. */
export const ACCEPT_INVITE_OPERATION = 'acceptOrgInvite';

/** 7 days: an invite link works once, until then. */
export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Owners and admins change settings and handle invites; members get 403. */
export function requireManager(actor: Role): void {
  if (!MANAGERS.includes(actor)) throw new ApiError('FORBIDDEN', 'Only owners and admins manage the organization');
}

/** An actor may grant `role` (in an invite or a role change): only owners make owners. */
export function requireMayGrant(actor: Role, role: Role): void {
  requireManager(actor);
  if (role === 'owner' && actor !== 'owner') throw new ApiError('FORBIDDEN', 'Only owners can make someone an owner');
}

/**
 * Whether `actor` may change (to `next`) or remove (`next` undefined) the member `target`, who holds
 * `targetRole`; `self` when the target is the actor.
 */
export function requireMayManage(actor: Role, targetRole: Role, self: boolean, next?: Role): void {
  requireManager(actor);
  if (actor === 'admin' && (targetRole !== 'member' || self)) {
    throw new ApiError('FORBIDDEN', `Admins manage members only; this user is ${self ? 'you' : `an ${targetRole}`}`);
  }
  // Stryker disable next-line ConditionalExpression: equivalent: a manager may always "grant" no role change
  if (next !== undefined) requireMayGrant(actor, next);
}

/** The change leaves the org without an owner: 409. `owners` counts the owners before it. */
export function requireAnOwnerLeft(targetRole: Role, next: Role | undefined, owners: number): void {
  if (targetRole === 'owner' && next !== 'owner' && owners <= 1) {
    throw new ApiError('CONFLICT', 'The last owner can be neither demoted nor removed; make another member an owner first');
  }
}

/** Emails compare case-insensitively, as sign-in does. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** The link an invite is accepted at; the token sits in the fragment, which never reaches a server log. */
export const inviteUrl = (origin: string, token: string) => `${origin.replace(/\/+$/, '')}/dashboard/invite#token=${token}`;

/** The activity row's sentence for a membership change: who, what, and never a token. */
export function memberSummary(
  change: 'invited' | 'invite_revoked' | 'joined' | 'updated' | 'removed',
  who: string,
  actor: Actor,
  role?: Role,
): string {
  const by = actorPhrase(actor);
  switch (change) {
    case 'invited':
      return `${who} was invited as ${role} by ${by}`;
    case 'invite_revoked':
      return `The invite of ${who} was revoked by ${by}`;
    case 'joined':
      return `${who} joined as ${role}`;
    case 'updated':
      return `${who} was made ${role} by ${by}`;
    case 'removed':
      return `${who} was removed by ${by}`;
  }
}
