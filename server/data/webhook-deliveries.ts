import type { Activity } from '../../generated/sdk/types.gen.js';
import type { ActivityEntry } from '../domain/activity.js';
import { RETENTION_MS } from '../domain/webhook-schedule.js';
import type { EngineTx } from '../webhooks/connection.js';
import { insertActivitySql, type ActivityLog } from './activity.js';
import { readActivitiesById } from './mission-control-feed.js';

/** The delivery engine's statements (server/webhooks): the relay's, one attempt's, and the purge. */

type Query = <T>(text: string, params: unknown[]) => Promise<T[]>;

/** A delivery the relay moves onto the queue. */
export interface Unqueued {
  id: string;
  attemptCount: number;
  nextAttemptAt: Date | null;
}

/**
 * Up to `limit` pending deliveries not on the queue yet, locked for the caller's transaction; rows another
 * relay holds are skipped (it queues them), so two servers never queue one delivery twice. A delivery
 * still pending an hour after its attempt was due lost its job (the queue gave up on it after repeated
 * database errors): it is queued again rather than left pending for ever. Its attempt is recorded once
 * whatever happens, and delivery is at least once anyway.
 */
export const lockUnqueued = (q: Query, limit: number) =>
  q<Unqueued>(
    `SELECT id, "attemptCount", "nextAttemptAt" FROM "WebhookDelivery"
     WHERE status = 'pending'
       AND ("queuedAt" IS NULL OR ("queuedAt" < now() - interval '1 hour' AND "nextAttemptAt" < now() - interval '1 hour'))
     ORDER BY "createdAt" LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );

export const markQueued = (q: Query, ids: string[]) =>
  q(`UPDATE "WebhookDelivery" SET "queuedAt" = now() WHERE id = ANY($1::uuid[])`, [ids]);

/** Everything one attempt needs, in one statement. */
export interface AttemptContext {
  id: string;
  orgId: string;
  status: string;
  attemptCount: number;
  endpoint: {
    id: string;
    url: string;
    description: string;
    enabled: boolean;
    deleted: boolean;
    secret: string;
    previousSecret: string | null;
    previousSecretExpiresAt: Date | null;
    failingSince: Date | null;
  };
  activity: Activity;
}

interface ContextRow {
  id: string;
  orgId: string;
  status: string;
  attemptCount: number;
  e_id: string;
  e_url: string;
  e_description: string;
  e_enabled: boolean;
  e_deletedAt: Date | null;
  e_secret: string;
  e_previousSecret: string | null;
  e_previousSecretExpiresAt: Date | null;
  e_failingSince: Date | null;
  activityId: string;
}

const CONTEXT = `SELECT d.id, d."orgId", d.status, d."attemptCount",
  e.id AS e_id, e.url AS e_url, e.description AS e_description, e.enabled AS e_enabled, e."deletedAt" AS "e_deletedAt",
  e.secret AS e_secret, e."previousSecret" AS "e_previousSecret", e."previousSecretExpiresAt" AS "e_previousSecretExpiresAt",
  e."failingSince" AS "e_failingSince", d."activityId"
FROM "WebhookDelivery" d
JOIN "WebhookEndpoint" e ON e.id = d."endpointId"
WHERE d.id = ANY($1::uuid[])`;

const toDate = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

/**
 * The contexts of a batch of deliveries, in two statements: the deliveries with their endpoints, then their
 * activity rows exactly as the feed presents them. A delivery gone since (purged, cascaded) is absent.
 */
export async function loadAttempts(q: Query, deliveryIds: string[]): Promise<Map<string, AttemptContext>> {
  const rows = await q<ContextRow>(CONTEXT, [deliveryIds]);
  const activities = await readActivitiesById(q, [...new Set(rows.map((r) => r.activityId))]);
  return new Map(rows.flatMap((r) => {
    const activity = activities.get(r.activityId);
    return activity ? [[r.id, contextOf(r, activity)] as const] : [];
  }));
}

function contextOf(r: ContextRow, activity: Activity): AttemptContext {
  return {
    id: r.id,
    orgId: r.orgId,
    status: r.status,
    attemptCount: r.attemptCount,
    endpoint: {
      id: r.e_id,
      url: r.e_url,
      description: r.e_description,
      enabled: r.e_enabled,
      deleted: r.e_deletedAt !== null,
      secret: r.e_secret,
      previousSecret: r.e_previousSecret,
      previousSecretExpiresAt: toDate(r.e_previousSecretExpiresAt),
      failingSince: toDate(r.e_failingSince),
    },
    activity,
  };
}

/** One attempt's record, as the delivery log shows it. */
export interface AttemptRecord {
  attemptedAt: Date;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  responseBody: string | null;
}

/** The delivery after an attempt: its status, when it is tried next (null: never), and whether it waits for the relay. */
export interface DeliveryNext {
  status: 'pending' | 'succeeded' | 'failed';
  nextAttemptAt: Date | null;
}

/**
 * Moves the delivery past attempt number `attempt` (its attemptCount when queued): only if nobody did
 * already (a job run twice after a crash records its attempt once). A retry leaves the queue (queuedAt
 * NULL) for the relay, woken by the notification at commit, to queue it for `nextAttemptAt`. False: the
 * attempt was recorded before, nothing written.
 */
export async function recordAttempt(tx: EngineTx, deliveryId: string, attempt: number, rec: AttemptRecord, next: DeliveryNext): Promise<boolean> {
  const moved = await tx.query(
    `UPDATE "WebhookDelivery" SET "attemptCount" = "attemptCount" + 1, status = $3::varchar, "nextAttemptAt" = $4::timestamptz,
       "queuedAt" = CASE WHEN $3::varchar = 'pending' THEN NULL ELSE "queuedAt" END, "updatedAt" = $5::timestamptz
     WHERE id = $1::uuid AND "attemptCount" = $2 AND status = 'pending' RETURNING id`,
    [deliveryId, attempt, next.status, next.nextAttemptAt, rec.attemptedAt],
  );
  if (moved.length === 0) return false;
  await tx.query(
    `INSERT INTO "WebhookAttempt" ("deliveryId", "attemptedAt", "statusCode", error, "latencyMs", "responseBody")
     VALUES ($1::uuid, $2::timestamptz, $3, $4, $5, $6)`,
    [deliveryId, rec.attemptedAt, rec.statusCode, rec.error, rec.latencyMs, rec.responseBody],
  );
  if (next.status === 'pending') await tx.query(`SELECT pg_notify('webhook_deliveries', '')`, []);
  return true;
}

/** A delivery whose endpoint is gone or disabled: failed without an attempt. */
export const abandon = (q: Query, deliveryId: string, attempt: number) =>
  q(
    `UPDATE "WebhookDelivery" SET status = 'failed', "nextAttemptAt" = NULL, "updatedAt" = now()
     WHERE id = $1::uuid AND "attemptCount" = $2 AND status = 'pending'`,
    [deliveryId, attempt],
  );

/** A success ends the endpoint's failure streak. */
export const clearFailing = (tx: EngineTx, endpointId: string) =>
  tx.query(`UPDATE "WebhookEndpoint" SET "failingSince" = NULL WHERE id = $1::uuid AND "failingSince" IS NOT NULL`, [endpointId]);

/** A failure starts the streak (the earliest failure stays its start). */
export const markFailing = (tx: EngineTx, endpointId: string, since: Date) =>
  tx.query(`UPDATE "WebhookEndpoint" SET "failingSince" = COALESCE("failingSince", $2::timestamptz) WHERE id = $1::uuid`, [endpointId, since]);

/**
 * Disables the endpoint for `reason` and writes its one activity row, unless it was disabled already
 * (then nothing). The row fans out to the organization's other endpoints like any other.
 */
export async function disableEndpoint(tx: EngineTx, activity: ActivityLog, endpointId: string, reason: string, now: Date, entry: ActivityEntry): Promise<boolean> {
  const changed = await tx.query(
    `UPDATE "WebhookEndpoint" SET enabled = false, "disabledReason" = $2, "disabledAt" = $3::timestamptz, "updatedAt" = $3::timestamptz
     WHERE id = $1::uuid AND enabled AND "deletedAt" IS NULL RETURNING id`,
    [endpointId, reason, now],
  );
  if (changed.length === 0) return false;
  await tx.query(insertActivitySql(), activity.params(entry));
  return true;
}

/** Removes attempts, then deliveries, older than the log's 30 days: one statement each. */
export async function purgeOld(q: Query, now: Date): Promise<{ attempts: number; deliveries: number }> {
  const before = new Date(now.getTime() - RETENTION_MS);
  const attempts = await q(`WITH gone AS (DELETE FROM "WebhookAttempt" WHERE "attemptedAt" < $1::timestamptz RETURNING 1) SELECT count(*)::int AS n FROM gone`, [before]);
  const deliveries = await q(`WITH gone AS (DELETE FROM "WebhookDelivery" WHERE "createdAt" < $1::timestamptz RETURNING 1) SELECT count(*)::int AS n FROM gone`, [before]);
  const n = (rows: unknown[]) => (rows[0] as { n: number } | undefined)?.n ?? 0;
  return { attempts: n(attempts), deliveries: n(deliveries) };
}
