import { ApiError } from '../errors.js';

interface Author {
  id: string;
  slug: string;
  isActive: boolean;
  allowedPeerIds: string[];
}

/**
 * Who may post as an agent: an active participant and, in a peer session, only when every other live
 * participant is one of its peers (a deleted agent no longer takes part, so it bars no one).
 */
export function checkAgentMayPost(author: Author, others: Array<{ id: string; slug: string }>, isPeerSession: boolean): void {
  if (!author.isActive) throw new ApiError('FORBIDDEN', `Agent ${author.slug} is inactive and cannot post`);
  if (!isPeerSession) return;
  const barred = others.filter((o) => o.id !== author.id && !author.allowedPeerIds.includes(o.id)).map((o) => o.slug);
  if (barred.length > 0) {
    throw new ApiError('FORBIDDEN', `Agent ${author.slug} may not message ${barred.join(', ')}: they are not in its allowedPeers`);
  }
}
