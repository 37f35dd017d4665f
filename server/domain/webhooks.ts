import { randomBytes } from 'node:crypto';
import { ApiError } from '../errors.js';
import { ACTIVITY_KINDS, actorPhrase, type ActivityEntry, type Actor } from './activity.js';

/**
 * Webhook endpoints as plain rules: the signing secret's form, which activity kinds an endpoint's filters
 * receive, how enabling, rotating and retrying change an endpoint or a delivery, and the activity row of
 * each change. The database's fan-out trigger applies the same filter rule to every activity row.
 */

/** 24 hours: after a rotation the previous secret keeps signing alongside the new one this long. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;
/** 30 days: how far back the delivery log reaches. */
export const DELIVERY_LOG_MS = 30 * 24 * 60 * 60 * 1000;

/** A Standard Webhooks signing secret: `whsec_` and the base64 of 32 random bytes. */
export const mintWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

const PREFIXES = new Set(ACTIVITY_KINDS.map((k) => k.split('.')[0]!));
const KINDS = new Set<string>(ACTIVITY_KINDS);

/** Whether a filter names something that exists: `*`, a known kind, or `<prefix>.*` of a known prefix. */
export function isKnownFilter(filter: string): boolean {
  if (filter === '*') return true;
  if (filter.endsWith('.*')) return PREFIXES.has(filter.slice(0, -2));
  return KINDS.has(filter);
}

/**
 * The filters as stored, or 422: a filter for a kind that does not exist would never match, and a typo
 * should not pass for a subscription that receives nothing.
 */
export function checkEvents(events: string[]): string[] {
  const unknown = events.map((e, i) => ({ e, i })).filter(({ e }) => !isKnownFilter(e));
  if (unknown.length > 0) {
    throw new ApiError(
      'VALIDATION_ERROR',
      `Unknown event filter ${unknown.map(({ e }) => `"${e}"`).join(', ')}; use an activity kind, "<prefix>.*" or "*"`,
      unknown.map(({ i }) => ({ path: `body.events.${i}`, message: 'is not an activity kind, a kind prefix with .*, or *' })),
    );
  }
  return events;
}

/** Whether an endpoint with these filters receives an activity row of `kind` (the fan-out trigger's rule). */
export const filtersMatch = (filters: readonly string[], kind: string): boolean =>
  filters.some((f) => f === '*' || f === kind || f === `${kind.split('.')[0]}.*`);

export interface Enablement {
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: Date | null;
  failingSince?: null;
}

/**
 * What PATCH `enabled` writes. Disabling by hand records `manual` now, but an endpoint the server already
 * disabled keeps its reason and time (they say why it stopped); enabling clears the reason and the failure
 * streak, so the 5-day rule starts afresh.
 */
export function enablement(current: { enabled: boolean }, enabled: boolean, now: Date): Enablement | undefined {
  if (enabled) return { enabled: true, disabledReason: null, disabledAt: null, failingSince: null };
  if (!current.enabled) return undefined;
  return { enabled: false, disabledReason: 'manual', disabledAt: now };
}

/** The columns a rotation writes: the new sealed secret, the old one kept for the overlap. */
export function rotation(sealedNew: string, sealedOld: string, now: Date) {
  return {
    secret: sealedNew,
    previousSecret: sealedOld,
    previousSecretExpiresAt: new Date(now.getTime() + ROTATION_OVERLAP_MS),
    secretRotatedAt: now,
    updatedAt: now,
  };
}

/** A retry is allowed only to an endpoint that takes deliveries: 409 otherwise. */
export function requireRetryable(endpoint: { enabled: boolean }): void {
  if (!endpoint.enabled) throw new ApiError('CONFLICT', 'The webhook endpoint is disabled; enable it before retrying a delivery');
}

/**
 * What a retry writes: pending and due now, and not yet on the queue, so the relay enqueues it again with
 * the same id (`webhook-id`).
 */
export const retryState = (now: Date) => ({ status: 'pending', nextAttemptAt: now, queuedAt: null, updatedAt: now });

/** What a deletion does to the endpoint's deliveries still waiting: given up, never sent. */
export const abandonedState = (now: Date) => ({ status: 'failed', nextAttemptAt: null, updatedAt: now });

/** The delivery log's window: deliveries created at or after this. */
export const logWindowStart = (now: Date) => new Date(now.getTime() - DELIVERY_LOG_MS);

/** How the feed names an endpoint: its description when it has one, else the host it posts to. */
export function webhookName(endpoint: { url: string; description: string }): string {
  const description = endpoint.description.trim();
  if (description) return description;
  try {
    return new URL(endpoint.url).host;
  } catch {
    return endpoint.url;
  }
}

export type WebhookChange = 'created' | 'updated' | 'deleted' | 'secret_rotated';

const VERBS: Record<WebhookChange, string> = {
  created: 'created',
  updated: 'updated',
  deleted: 'deleted',
  secret_rotated: 'given a new signing secret',
};

/**
 * The activity row of a change to an endpoint: org-wide (endpoints are the organization's, not a
 * workspace's) but, like an invite's, read by owners and admins only, who alone may read endpoints: the
 * row is theirs and its author's (`userId`). An update names the changed fields, never their values, and
 * no row holds a secret.
 */
export function webhookActivity(
  change: WebhookChange,
  actor: Actor,
  endpoint: { id: string; orgId: string; url: string; description: string },
  userId: string,
  fields: string[] = [],
): ActivityEntry {
  const name = webhookName(endpoint);
  const what = change === 'updated' && fields.length > 0 ? ` (${fields.join(', ')})` : '';
  return {
    kind: `webhook.${change}`,
    actor,
    subject: { type: 'webhook', id: endpoint.id, name },
    orgId: endpoint.orgId,
    workspaceId: null,
    privateToUserId: userId,
    summary: `Webhook "${name}" was ${VERBS[change]}${what} by ${actorPhrase(actor)}`,
    details: change === 'updated' ? { fields } : null,
  };
}
