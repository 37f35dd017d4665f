/** The activity feed's rows as the domain sees them: their kinds and shape, and how a change is worded. */

/** Every kind the API writes, dotted `<subject>.<verb>`; the contract lists the same. */
export const ACTIVITY_KINDS = [
  'agent.created',
  'agent.updated',
  'agent.deleted',
  'session.created',
  'session.updated',
  'session.deleted',
  'message.posted',
  'chat.replied',
  'api_key.minted',
  'api_key.revoked',
  'project.created',
  'project.updated',
  'project.deleted',
  'block.created',
  'block.updated',
  'block.deleted',
  'credits.granted',
  'org.updated',
  'member.invited',
  'member.invite_revoked',
  'member.joined',
  'member.updated',
  'member.removed',
  'workspace.created',
  'workspace.updated',
  'workspace.deleted',
  'workspace.access_granted',
  'workspace.access_revoked',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'webhook.disabled',
  'trigger.created',
  'trigger.revoked',
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export type SubjectType =
  | 'agent'
  | 'session'
  | 'message'
  | 'api_key'
  | 'project'
  | 'block'
  | 'organization'
  | 'user'
  | 'invite'
  | 'workspace'
  | 'webhook'
  | 'trigger';

export interface Actor {
  type: 'user' | 'api_key' | 'agent' | 'system' | 'trigger';
  id: string | null;
  name: string;
}

export interface ActivityEntry {
  kind: ActivityKind;
  actor: Actor;
  subject: { type: SubjectType; id: string; name: string };
  orgId: string;
  /** The subject's workspace; null for org-wide subjects. The row is visible where the subject was. */
  workspaceId: string | null;
  /** For a user-private subject (an API key): its user, who sees the row besides owners and admins. */
  privateToUserId?: string | null;
  agentId?: string | null;
  projectId?: string | null;
  /** One human sentence. Never a secret, and no message content beyond `excerpt`. */
  summary: string;
  details?: Record<string, unknown> | null;
}

/** Changes made by the operator (admin CLI, first start), not through the API. */
export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, name: 'system' };

/** Message content in the feed is at most this many characters: the start of the message, then `…`. */
export const EXCERPT_CHARS = 80;
export const excerpt = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= EXCERPT_CHARS ? flat : `${chars.slice(0, EXCERPT_CHARS - 1).join('')}…`;
};

/** How a summary names who did it: `key "ci"`, a user or agent by name, or `the system`. */
export function actorPhrase(actor: { type: 'user' | 'api_key' | 'agent' | 'system' | 'trigger'; name: string }): string {
  if (actor.type === 'api_key') return `key "${actor.name}"`;
  if (actor.type === 'system') return 'the system';
  return actor.name;
}

export type ChangeVerb = 'created' | 'updated' | 'deleted';

/**
 * The one sentence of a change's activity row, e.g. `Agent "Research Assistant" was created by key "ci"`;
 * an update names the changed fields, never their values.
 */
export function changeSummary(
  noun: 'Agent' | 'Project' | 'Session' | 'API key',
  name: string,
  verb: ChangeVerb | 'minted' | 'revoked',
  actor: Parameters<typeof actorPhrase>[0],
  fields: string[] = [],
): string {
  const what = verb === 'updated' && fields.length > 0 ? ` (${fields.join(', ')})` : '';
  return `${noun} "${name}" was ${verb}${what} by ${actorPhrase(actor)}`;
}
