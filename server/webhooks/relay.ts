import type PgBoss from 'pg-boss';
import { lockUnqueued, markQueued } from '../data/webhook-deliveries.js';
import type { Logger } from '../logger.js';
import type { EngineConnection } from './connection.js';
import { jobsFor } from './queue.js';

/**
 * Moves new deliveries (written by the database's fan-out trigger, or set back by an attempt or a retry)
 * onto the job queue. Each batch is one transaction: lock the rows (SKIP LOCKED, so relays of several
 * servers split the work), insert their jobs through that same transaction, mark them queued. A crash
 * anywhere leaves either all of it or none.
 */

export const CHANNEL = 'webhook_deliveries';
/** Rows per transaction: bounded, so one relay never holds many locks or a long transaction. */
export const BATCH = 200;
/** The sweep for what no notification announced (a crash after commit, the admin CLI, a lost listener). */
export const SWEEP_MS = 3_000;

export class Relay {
  private running: Promise<void> | undefined;
  private again = false;
  private sweep: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly conn: EngineConnection,
    private readonly boss: PgBoss,
    private readonly logger: Logger,
    /** Called after a batch was queued: wakes this process's workers now instead of at their next poll. */
    private readonly onQueued: () => void,
  ) {}

  async start(): Promise<void> {
    await this.conn.listen(CHANNEL, () => this.wake());
    this.sweep = setInterval(() => this.wake(), SWEEP_MS);
    this.sweep.unref();
    this.wake();
  }

  /** Runs the relay now, or once more after the current run: notifications coalesce into runs. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err) => this.logger.warn({ err }, 'webhook relay failed; the sweep retries'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Queues everything waiting, a batch per transaction. */
  private async drain(): Promise<void> {
    while (!this.stopped) {
      const moved = await this.conn.transaction(async (tx) => {
        const rows = await lockUnqueued(tx.query, BATCH);
        if (rows.length === 0) return 0;
        await this.boss.insert(jobsFor(rows), { db: tx.queue });
        await markQueued(
          tx.query,
          rows.map((r) => r.id),
        );
        return rows.length;
      });
      if (moved > 0) this.onQueued();
      if (moved < BATCH) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweep);
    await this.running;
  }
}
