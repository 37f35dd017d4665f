import PgBoss from 'pg-boss';
import type { Logger } from '../logger.js';
import type { QueueDb } from './connection.js';

/**
 * The job queue (pg-boss, in the same database): one job is one attempt of one delivery. pg-boss takes a
 * job with SKIP LOCKED, so one worker at a time has it, and puts a job whose worker died (kill -9) back
 * once it expires.
 */

export const QUEUE = 'webhook-deliveries';

/** The job: which delivery, and its attemptCount when queued (a job run again after its attempt was recorded is a no-op). */
export interface AttemptJob {
  deliveryId: string;
  attempt: number;
}

/** Longer than one attempt (15 s) with its statements: an active job older than this belonged to a dead worker. */
export const JOB_EXPIRE_SECONDS = 45;
/** Runs of one job that threw (the database was away), with backoff; the delivery's own schedule is separate. */
const JOB_RETRY = { retryLimit: 8, retryDelay: 2, retryBackoff: true } as const;
/** How often the queue looks for expired jobs: how soon a job of a killed process is tried again. */
const MAINTENANCE_SECONDS = 15;

export function jobsFor(
  rows: Array<{ id: string; attemptCount: number; nextAttemptAt: Date | string | null }>,
): PgBoss.JobInsert<AttemptJob>[] {
  return rows.map((r) => ({
    name: QUEUE,
    data: { deliveryId: r.id, attempt: r.attemptCount },
    // An ISO time (ending in Z) is a moment for pg-boss; never in the past matters not: due is due.
    startAfter: new Date(r.nextAttemptAt ?? Date.now()).toISOString(),
    expireInSeconds: JOB_EXPIRE_SECONDS,
    ...JOB_RETRY,
  }));
}

export async function startQueue(db: QueueDb, logger: Logger): Promise<PgBoss> {
  const boss = new PgBoss({
    db: db,
    // No cron schedules and no state monitor: only jobs, and the maintenance that expires and archives them.
    schedule: false,
    supervise: true,
    maintenanceIntervalSeconds: MAINTENANCE_SECONDS,
    migrate: true,
  });
  boss.on('error', (err) => logger.warn({ err }, 'webhook queue error'));
  await boss.start();
  // Servers starting together may race to create it; whichever loses finds it there.
  if (!(await boss.getQueue(QUEUE))) {
    await boss.createQueue(QUEUE, { name: QUEUE, expireInSeconds: JOB_EXPIRE_SECONDS, ...JOB_RETRY }).catch(async (err: unknown) => {
      if (!(await boss.getQueue(QUEUE))) throw err;
    });
  }
  return boss;
}
