import { createHash, randomBytes } from 'node:crypto';
import type { BlockType } from '../../generated/sdk/types.gen.js';
import { ApiError } from '../errors.js';
import { actorPhrase, type ActivityEntry, type Actor } from './activity.js';

/** A new link's token: 32 random bytes, base64url. Only its hash is stored. */
export const mintShareToken = (): string => randomBytes(32).toString('base64url');
export const hashShareToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** An expiry, when given, must lie ahead: a link born expired is a mistake (422). */
export function checkExpiry(expiresAt: string | null | undefined, now: Date): Date | null {
  if (expiresAt == null) return null;
  const at = new Date(expiresAt);
  if (!(at.getTime() > now.getTime())) {
    throw new ApiError('VALIDATION_ERROR', 'expiresAt must be in the future', [
      { path: 'body.expiresAt', message: 'must be in the future' },
    ]);
  }
  return at;
}

/** Whether a stored link opens its page now: not revoked and not past its expiry. */
export const linkIsLive = (link: { revokedAt: Date | null; expiresAt: Date | null }, now: Date): boolean =>
  link.revokedAt === null && (link.expiresAt === null || link.expiresAt.getTime() > now.getTime());

export interface SharedBlock {
  type: BlockType;
  content: Record<string, unknown>;
}
export interface SharedProject {
  name: string;
  description: string | null;
  blocks: SharedBlock[];
}

/** Agent and session blocks point at other rows of the org: the page names their kind, never their ids. */
export const sharedBlock = (type: BlockType, content: Record<string, unknown>): SharedBlock =>
  type === 'agent' || type === 'session' ? { type, content: {} } : { type, content };

/** The activity row of a link's creation or revocation: an update of the project, naming what changed. */
export function shareLinkActivity(
  verb: 'created' | 'revoked',
  actor: Actor,
  project: { id: string; orgId: string; workspaceId: string | null; name: string },
  linkId: string,
): ActivityEntry {
  return {
    kind: 'project.updated',
    actor,
    subject: { type: 'project', id: project.id, name: project.name },
    orgId: project.orgId,
    workspaceId: project.workspaceId,
    projectId: project.id,
    summary: `A share link of project "${project.name}" was ${verb} by ${actorPhrase(actor)}`,
    details: { shareLinkId: linkId, change: `share_link.${verb}` },
  };
}
