import type PgBoss from 'pg-boss';
import type { Config } from '../config.js';
import { ActivityLog } from '../data/activity.js';
import type { SecretBox } from '../data/secret-box.js';
import { purgeOld } from '../data/webhook-deliveries.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { engineConnection, type EngineConnection } from './connection.js';
import { QUEUE, startQueue } from './queue.js';
import { Relay } from './relay.js';
import { startWorkers } from './worker.js';

/**
 * The webhook delivery engine of one server process: the relay (deliveries → job queue) and the workers
 * (one job = one attempt). Every process runs one; they share the work through the database (SKIP LOCKED
 * in the relay and in the queue), so delivery is at least once, in no particular order.
 */

const PURGE_EVERY_MS = 60 * 60 * 1000;

export interface EngineOptions {
  db: Database;
  config: Config;
  logger: Logger;
  /** The machine named in the activity rows the engine writes (webhook.disabled). */
  machineId: string | null;
  /** The data layer's box: the one that sealed the endpoints' secrets. */
  secretBox: SecretBox;
  /** The PostgreSQL URL when it is not config.databaseUrl (tests: a copy of the template). */
  url?: string;
}

export interface WebhookEngine {
  /** Wakes the relay now (the sweep would find it within seconds anyway). */
  wake(): void;
  stop(): Promise<void>;
}

export async function startWebhookEngine(options: EngineOptions): Promise<WebhookEngine> {
  const { db, config, logger } = options;
  const conn: EngineConnection = engineConnection(db, options.url ?? config.databaseUrl, logger);
  let boss: PgBoss | undefined;
  try {
    boss = await startQueue(conn.queue, logger);
    const deps = {
      conn,
      secretBox: options.secretBox,
      activity: new ActivityLog(options.machineId),
      policy: config.webhooks,
      logger,
    };
    const workers = await startWorkers(boss, QUEUE, deps);
    const started = boss;
    const relay = new Relay(conn, started, logger, () => workers.forEach((id) => started.notifyWorker(id)));
    await relay.start();
    const purge = setInterval(() => {
      purgeOld(conn.query, new Date()).then(
        (n) => (n.attempts > 0 || n.deliveries > 0) && logger.info(n, 'purged old webhook deliveries'),
        (err) => logger.warn({ err }, 'could not purge webhook deliveries'),
      );
    }, PURGE_EVERY_MS);
    purge.unref();
    return {
      wake: () => relay.wake(),
      async stop() {
        clearInterval(purge);
        await relay.stop();
        // Waits for attempts under way (each ends within its timeout), then stops the queue's timers.
        await started.stop({ graceful: true, wait: true, timeout: 20_000, close: false });
        await conn.close();
      },
    };
  } catch (err) {
    await boss?.stop({ graceful: false, close: false }).catch(() => undefined);
    await conn.close();
    throw err;
  }
}
