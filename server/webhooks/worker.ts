import type PgBoss from 'pg-boss';
import {
  abandon,
  clearFailing,
  disableEndpoint,
  loadAttempts,
  markFailing,
  recordAttempt,
  type AttemptContext,
  type DeliveryNext,
} from '../data/webhook-deliveries.js';
import type { Config } from '../config.js';
import type { ActivityLog } from '../data/activity.js';
import type { SecretBox } from '../data/secret-box.js';
import { disabledActivity, failingAfter, outcomeOf, payloadOf, signingSecrets, type Outcome } from '../domain/webhook-schedule.js';
import { parseWebhookUrl, resolveTarget, type Target, type UrlPolicy } from '../domain/webhook-urls.js';
import type { Logger } from '../logger.js';
import type { EngineConnection, EngineTx } from './connection.js';
import { send, type SendResult } from './deliver.js';
import type { AttemptJob } from './queue.js';

/** One job: one attempt of one delivery, then its record and the delivery's next step in one transaction. */

export interface AttemptDeps {
  conn: EngineConnection;
  secretBox: SecretBox;
  activity: ActivityLog;
  /** The targets allowed and the retry schedule's scale (config.webhooks). */
  policy: Config['webhooks'];
  logger: Logger;
}

const refused = (error: string): SendResult => ({ statusCode: null, error, latencyMs: 0, responseBody: null });

/** The address to connect to, checked now (DNS may have changed since the endpoint was created); a string is why not. */
async function targetOf(raw: string, policy: UrlPolicy): Promise<{ url: URL; target: Target } | string> {
  try {
    const url = parseWebhookUrl(raw, policy);
    return { url, target: await resolveTarget(url, policy) };
  } catch {
    // Refused by the rules, or not resolvable at all: only the second says anything about the network.
    const resolvable = await resolveTarget(new URL(raw), { allowHttp: true, allowPrivate: true }).then(
      () => true,
      () => false,
    );
    return resolvable ? 'refused address' : 'dns failure';
  }
}

function nextOf(outcome: Outcome, now: Date): DeliveryNext {
  if (outcome.kind === 'retry') return { status: 'pending', nextAttemptAt: new Date(now.getTime() + outcome.delayMs) };
  return { status: outcome.kind === 'succeeded' ? 'succeeded' : 'failed', nextAttemptAt: null };
}

interface Made {
  ctx: AttemptContext;
  job: AttemptJob;
  attemptedAt: Date;
  result: SendResult;
}

/**
 * A batch of jobs: their deliveries loaded in one statement, the attempts made concurrently, then every
 * record written in one transaction (on the embedded database each transaction holds the one connection:
 * one per batch, not one per attempt). A job whose attempt was recorded already (run again after a crash)
 * or whose delivery is no longer pending does nothing.
 */
export async function runBatch(deps: AttemptDeps, jobs: AttemptJob[]): Promise<void> {
  const { conn } = deps;
  const contexts = await loadAttempts(
    conn.query,
    jobs.map((j) => j.deliveryId),
  );
  const due = jobs.flatMap((job) => {
    const ctx = contexts.get(job.deliveryId);
    return ctx && ctx.status === 'pending' && ctx.attemptCount === job.attempt ? [{ ctx, job }] : [];
  });
  const abandoned = due.filter(({ ctx }) => !ctx.endpoint.enabled || ctx.endpoint.deleted);
  for (const { ctx, job } of abandoned) await abandon(conn.query, ctx.id, job.attempt);
  const made: Made[] = await Promise.all(
    due
      .filter((d) => !abandoned.includes(d))
      .map(async ({ ctx, job }) => {
        const attemptedAt = new Date();
        // A delivery that cannot even be tried (a sealed secret that does not open) is a failed attempt, not the batch's failure.
        const result = await attempt(deps, ctx, attemptedAt).catch((err: unknown) => {
          deps.logger.warn({ err, deliveryId: ctx.id }, 'webhook attempt could not be made');
          return refused('internal error');
        });
        return { ctx, job, attemptedAt, result };
      }),
  );
  if (made.length === 0) return;
  // Rows locked in one order (endpoint, then delivery) by every batch: two batches never deadlock.
  made.sort((a, b) => a.ctx.endpoint.id.localeCompare(b.ctx.endpoint.id) || a.ctx.id.localeCompare(b.ctx.id));
  await conn.transaction(async (tx) => {
    for (const m of made) await record(tx, deps, m);
  });
}

async function record(tx: EngineTx, deps: AttemptDeps, { ctx, job, attemptedAt, result }: Made): Promise<void> {
  const outcome = outcomeOf(result, job.attempt + 1, deps.policy.retryScale, Math.random(), attemptedAt);
  const rec = {
    attemptedAt,
    statusCode: result.statusCode,
    error: result.error,
    latencyMs: result.latencyMs,
    responseBody: result.responseBody,
  };
  const disable =
    outcome.kind === 'succeeded'
      ? null
      : outcome.kind === 'gone'
        ? 'gone'
        : failingAfter(ctx.endpoint.failingSince, attemptedAt).disable
          ? 'failing'
          : null;
  // A delivery to an endpoint disabled by this attempt is not tried again.
  const next = disable ? { status: 'failed' as const, nextAttemptAt: null } : nextOf(outcome, attemptedAt);
  if (!(await recordAttempt(tx, ctx.id, job.attempt, rec, next))) return;
  await endpointAfter(tx, deps, ctx, outcome, disable, attemptedAt);
}

async function endpointAfter(
  tx: EngineTx,
  deps: AttemptDeps,
  ctx: AttemptContext,
  outcome: Outcome,
  disable: 'gone' | 'failing' | null,
  now: Date,
) {
  const endpoint = { ...ctx.endpoint, orgId: ctx.orgId };
  if (outcome.kind === 'succeeded') await clearFailing(tx, endpoint.id);
  else if (disable) {
    if (await disableEndpoint(tx, deps.activity, endpoint.id, disable, now, disabledActivity(endpoint, disable)))
      deps.logger.info({ webhookId: endpoint.id, reason: disable }, 'webhook endpoint disabled');
  } else await markFailing(tx, endpoint.id, now);
}

async function attempt(deps: AttemptDeps, ctx: AttemptContext, now: Date): Promise<SendResult> {
  const found = await targetOf(ctx.endpoint.url, deps.policy);
  if (typeof found === 'string') return refused(found);
  const { endpoint } = ctx;
  const secrets = signingSecrets(
    deps.secretBox.open(endpoint.secret),
    endpoint.previousSecret === null ? null : deps.secretBox.open(endpoint.previousSecret),
    endpoint.previousSecretExpiresAt,
    now,
  );
  const body = JSON.stringify(payloadOf(ctx.activity, `/api/v1/activity/${ctx.activity.id}`));
  return send({ url: found.url, target: found.target, id: ctx.id, body, secrets, now });
}

/** Workers: several, each taking a batch, so one hanging endpoint holds up one batch only. */
export const WORKERS = 4;
export const BATCH_SIZE = 50;
const POLL_SECONDS = 0.5;

export async function startWorkers(boss: PgBoss, queue: string, deps: AttemptDeps): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const id: string = await boss.work<AttemptJob>(queue, { batchSize: BATCH_SIZE, pollingIntervalSeconds: POLL_SECONDS }, async (jobs) => {
      // A full batch: more are likely waiting, so fetch again at once rather than after the poll interval.
      if (jobs.length === BATCH_SIZE) boss.notifyWorker(id);
      try {
        await runBatch(
          deps,
          jobs.map((j) => j.data),
        );
      } catch (err) {
        // The whole batch goes back to the queue: attempts already recorded are skipped on the next run.
        deps.logger.warn({ err, count: jobs.length }, 'webhook attempts could not be recorded; the queue retries them');
        throw err;
      }
    });
    ids.push(id);
  }
  return ids;
}
