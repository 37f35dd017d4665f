import { SYSTEM_ACTOR, type ActivityEntry } from './activity.js';
import { webhookName } from './webhooks.js';

/**
 * The rules of webhook delivery, pure: when to try again, what an answer means, when an endpoint is given
 * up on, and what of an answer is kept. The engine (server/webhooks) applies them.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The waits after the 1st, 2nd, … failed attempt; a failure past the last one fails the delivery. */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  14 * HOUR,
  20 * HOUR,
  24 * HOUR,
];
/** Every wait is moved by up to this fraction either way, so failed deliveries do not retry in lockstep. */
export const JITTER = 0.1;
/** A Retry-After longer than this is held to it. */
export const RETRY_AFTER_CAP_MS = 24 * HOUR;
/** The answers whose Retry-After is honoured. */
export const RETRY_AFTER_STATUSES: readonly number[] = [429, 502, 503, 504];
/** An endpoint failing without one success for this long is disabled. */
export const FAILING_LIMIT_MS = 5 * 24 * HOUR;
/** How much of an answer's body the delivery log keeps. */
export const BODY_KEPT_BYTES = 1024;
/** A payload larger than this carries a reference to the activity row instead of the row. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
/** One attempt's limit: connecting, sending and reading the answer. */
export const ATTEMPT_TIMEOUT_MS = 15 * SECOND;
/** Attempts and deliveries older than this are removed. */
export const RETENTION_MS = 30 * 24 * HOUR;

/**
 * The wait after the `attempts`-th failed attempt (1 = the first), scaled by `scale` and moved by
 * `random` (in [0, 1): 0.5 is no jitter) within ±JITTER; null once the schedule is spent.
 */
export function retryDelayMs(attempts: number, scale: number, random: number): number | null {
  const base = RETRY_SCHEDULE_MS[attempts - 1];
  if (attempts < 1 || base === undefined) return null;
  return Math.round(base * scale * (1 + JITTER * (2 * random - 1)));
}

/** A Retry-After header in milliseconds from `now`: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * SECOND, RETRY_AFTER_CAP_MS);
  // Only an HTTP date (it names a weekday or month); a bare number with a sign or a point is not one.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - now.getTime(), 0), RETRY_AFTER_CAP_MS);
}

/** What one attempt came to: an HTTP status, or an error before any status (timeout, refused, …). */
export interface AttemptResult {
  statusCode: number | null;
  error: string | null;
  retryAfter?: string;
}

export type Outcome =
  | { kind: 'succeeded' }
  /** The endpoint is gone (410): disabled at once, the delivery failed. */
  | { kind: 'gone' }
  | { kind: 'retry'; delayMs: number }
  /** The schedule is spent. */
  | { kind: 'failed' };

export const isSuccess = (statusCode: number | null): boolean => statusCode !== null && statusCode >= 200 && statusCode < 300;

/**
 * The delivery's next step after its `attempts`-th attempt (counting this one). Any 2xx succeeds; 410
 * disables; everything else (3xx included: redirects are not followed) is retried on the schedule, and no
 * sooner than a Retry-After on 429, 502, 503 and 504.
 */
export function outcomeOf(result: AttemptResult, attempts: number, scale: number, random: number, now: Date): Outcome {
  if (isSuccess(result.statusCode)) return { kind: 'succeeded' };
  if (result.statusCode === 410) return { kind: 'gone' };
  const scheduled = retryDelayMs(attempts, scale, random);
  if (scheduled === null) return { kind: 'failed' };
  const honoured = result.statusCode !== null && RETRY_AFTER_STATUSES.includes(result.statusCode);
  const asked = honoured ? parseRetryAfter(result.retryAfter, now) : undefined;
  return { kind: 'retry', delayMs: Math.max(scheduled, asked ?? 0) };
}

/**
 * The endpoint's failure streak after a failed attempt at `now`: it starts at the first failure and the
 * endpoint is disabled once it has lasted FAILING_LIMIT_MS.
 */
export function failingAfter(failingSince: Date | null, now: Date): { failingSince: Date; disable: boolean } {
  const since = failingSince ?? now;
  return { failingSince: since, disable: now.getTime() - since.getTime() >= FAILING_LIMIT_MS };
}

/** The first BODY_KEPT_BYTES of an answer's body, cut on a character boundary. */
export function keptBody(body: Buffer): string {
  if (body.length <= BODY_KEPT_BYTES) return body.toString('utf8');
  let end = BODY_KEPT_BYTES;
  // Back off continuation bytes (10xxxxxx) so a multi-byte character is not split.
  while (end > 0 && (body[end]! & 0xc0) === 0x80) end--;
  return body.subarray(0, end).toString('utf8');
}

/** The names an attempt's failure is recorded under, from the socket error's code. */
export function errorName(code: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return 'connection reset';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns failure';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'unreachable';
    default:
      return 'connection failed';
  }
}

/** The payload's data: the activity row, or a reference to it when the whole body would exceed MAX_PAYLOAD_BYTES. */
export function payloadOf<T extends { id: string; kind: string; createdAt: string }>(
  row: T,
  activityUrl: string,
): { type: string; timestamp: string; data: T | { id: string; kind: string; url: string } } {
  const full = { type: row.kind, timestamp: row.createdAt, data: row };
  if (Buffer.byteLength(JSON.stringify(full)) <= MAX_PAYLOAD_BYTES) return full;
  return { type: row.kind, timestamp: row.createdAt, data: { id: row.id, kind: row.kind, url: activityUrl } };
}

/** The signatures to send: the current secret's, then the previous one's while its rotation window lasts. */
export function signingSecrets(current: string, previous: string | null, previousExpiresAt: Date | null, now: Date): string[] {
  return previous !== null && previousExpiresAt !== null && previousExpiresAt.getTime() > now.getTime() ? [current, previous] : [current];
}

export type DisabledReason = 'gone' | 'failing';

const WHY: Record<DisabledReason, string> = {
  gone: 'it answered 410 Gone',
  failing: 'its deliveries failed for 5 days',
};

/** The activity row of an endpoint the system disabled: org-wide, like every row about an endpoint. */
export function disabledActivity(
  endpoint: { id: string; orgId: string; url: string; description: string },
  reason: DisabledReason,
): ActivityEntry {
  const name = webhookName(endpoint);
  return {
    kind: 'webhook.disabled',
    actor: SYSTEM_ACTOR,
    subject: { type: 'webhook', id: endpoint.id, name },
    orgId: endpoint.orgId,
    workspaceId: null,
    summary: `Webhook "${name}" was disabled because ${WHY[reason]}`,
    details: { reason },
  };
}
