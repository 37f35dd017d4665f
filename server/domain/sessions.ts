import { ApiError } from '../errors.js';
import { changeSummary, excerpt, type ActivityEntry, type Actor } from './activity.js';

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

/** How the feed names a session: its title, or a stand-in for an untitled one. */
export const sessionName = (title: string | null) => title ?? 'Untitled session';

interface FeedSession {
  id: string;
  orgId: string;
  workspaceId: string | null;
  projectId: string | null;
  title: string | null;
}

/**
 * The activity row of a session change. Its agent is the first agent the session was opened with, so the
 * feed filtered by agent shows the sessions that agent leads; it is scoped like the session.
 */
export function sessionActivity(
  kind: 'session.created' | 'session.updated' | 'session.deleted',
  actor: Actor,
  session: FeedSession,
  firstAgentId: string | null,
): ActivityEntry {
  const name = sessionName(session.title);
  const verb = ({ 'session.created': 'created', 'session.updated': 'updated', 'session.deleted': 'deleted' } as const)[kind];
  return {
    kind,
    actor,
    subject: { type: 'session', id: session.id, name },
    orgId: session.orgId,
    workspaceId: session.workspaceId,
    agentId: firstAgentId,
    projectId: session.projectId,
    summary: changeSummary('Session', name, verb, actor),
  };
}

/**
 * A posted message's row: its subject is the message, named by the excerpt of its content (the only part
 * of the content the feed ever holds), and its agent the author agent when an agent posted it.
 */
export function messageActivity(
  actor: Actor,
  session: FeedSession,
  message: { id: string; agentId: string | null; content: string },
  authorName: string,
): ActivityEntry {
  return {
    kind: 'message.posted',
    actor,
    subject: { type: 'message', id: message.id, name: excerpt(message.content) },
    orgId: session.orgId,
    workspaceId: session.workspaceId,
    agentId: message.agentId,
    projectId: session.projectId,
    summary: `${authorName} posted a message in session "${sessionName(session.title)}"`,
    details: { sessionId: session.id },
  };
}

/** A chat reply's row: the answering agent is the actor, with the model, status and usage of the reply. */
export function replyActivity(
  session: FeedSession,
  agent: { id: string; name: string },
  reply: {
    id: string;
    content: string;
    replyTo: string;
    status: string;
    model: string;
    inputTokens: number;
    outputTokens: number;
    creditMicro: bigint;
  },
): ActivityEntry {
  const how = reply.status === 'complete' ? 'replied' : `replied (${reply.status})`;
  return {
    kind: 'chat.replied',
    actor: { type: 'agent', id: agent.id, name: agent.name },
    subject: { type: 'message', id: reply.id, name: excerpt(reply.content) },
    orgId: session.orgId,
    workspaceId: session.workspaceId,
    agentId: agent.id,
    projectId: session.projectId,
    summary: `${agent.name} ${how} with ${reply.model} in session "${sessionName(session.title)}"`,
    details: {
      sessionId: session.id,
      replyTo: reply.replyTo,
      model: reply.model,
      status: reply.status,
      usage: { inputTokens: reply.inputTokens, outputTokens: reply.outputTokens, creditMicro: Number(reply.creditMicro) },
    },
  };
}
