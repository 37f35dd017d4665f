import { createHash, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ApiError } from '../errors.js';
import { actorPhrase, type ActivityEntry, type Actor } from './activity.js';

/** Every trigger token starts so: recognisable in a leaked log or paste, and redacted by that shape. */
export const TRIGGER_TOKEN_PREFIX = 'trg_';
/** A new trigger's token: the prefix and 32 random bytes, base64url (47 characters). Only its hash is stored. */
export const mintTriggerToken = (): string => `${TRIGGER_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
export const hashTriggerToken = (token: string): string => createHash('sha256').update(token).digest('hex');
/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes, base64. */
export const mintTriggerSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/** The URL a trigger is called at, on the server's own origin. */
export const triggerUrl = (origin: string, token: string): string => `${origin}/api/v1/triggers/${token}`;

/** How the feed and the session name a trigger: its description, or just "trigger". */
export const triggerName = (trigger: { description: string }): string => trigger.description.trim() || 'trigger';
export const triggerActor = (trigger: { id: string; description: string }): Actor => ({
  type: 'trigger',
  id: trigger.id,
  name: triggerName(trigger),
});

/**
 * A chat message holds at most this many characters (the contract's cap on a chat message): a body longer
 * as text is cut there and says so, so the agent knows it did not see all of it.
 */
export const TRIGGER_MESSAGE_CHARS = 100_000;

/**
 * The body as the agent's message: a JSON string as it is (a plain-text integration posts `"..."`), any
 * other JSON value as compact JSON, which is never much longer than the body that was sent.
 */
export function triggerMessage(body: unknown): string {
  const text = typeof body === 'string' && body !== '' ? body : JSON.stringify(body);
  if (text.length <= TRIGGER_MESSAGE_CHARS) return text;
  const note = `\n[truncated: the trigger's body was ${text.length} characters; the first ${TRIGGER_MESSAGE_CHARS} are shown]`;
  return text.slice(0, TRIGGER_MESSAGE_CHARS - note.length) + note;
}

/** A trigger session's metadata: relationship `trigger`, and which trigger started it. */
export const triggerSessionMetadata = (triggerId: string) => ({ relationship: 'trigger', triggerId }) as const;

/**
 * A signed trigger's request must carry a Standard Webhooks signature over the raw body bytes, made with
 * the trigger's secret within the library's 5-minute tolerance of now: 401 for a missing, bad or stale one.
 */
export function verifyTriggerSignature(secret: string, rawBody: Buffer, headers: Record<string, string | string[] | undefined>): void {
  const wanted = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;
  const given: Record<string, string> = {};
  for (const name of wanted) {
    const value = headers[name];
    if (typeof value !== 'string' || value === '') {
      throw new ApiError('UNAUTHORIZED', `This trigger verifies signatures: send the ${wanted.join(', ')} headers`);
    }
    given[name] = value;
  }
  try {
    new Webhook(secret).verify(rawBody.toString('utf8'), given, { jsonParse: false });
  } catch {
    throw new ApiError(
      'UNAUTHORIZED',
      "The webhook signature does not match this trigger's secret, or its timestamp is more than 5 minutes from now",
    );
  }
}

/** The activity row of a trigger's creation or revocation: about the trigger, in its agent's workspace. */
export function triggerActivity(
  verb: 'created' | 'revoked',
  actor: Actor,
  agent: { id: string; orgId: string; workspaceId: string | null; name: string },
  trigger: { id: string; description: string },
): ActivityEntry {
  const name = triggerName(trigger);
  return {
    kind: `trigger.${verb}`,
    actor,
    subject: { type: 'trigger', id: trigger.id, name },
    orgId: agent.orgId,
    workspaceId: agent.workspaceId,
    agentId: agent.id,
    summary: `Trigger "${name}" of agent "${agent.name}" was ${verb} by ${actorPhrase(actor)}`,
  };
}
