import cluster from 'node:cluster';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { buildApp, dataLayerOf } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { bootstrapFirstStart, type BootstrapResult } from './data/bootstrap.js';
import { PasswordStore } from './data/passwords.js';
import { IdempotencyStore } from './data/idempotency.js';
import { openDatabase, type PrismaClient } from './db/database.js';
import { passwordLinkUrl } from './domain/passwords.js';
import { createHttpServer } from './http-server.js';
import { createLogger, type Logger } from './logger.js';
import { startWebhookEngine } from './webhooks/engine.js';
import { clusterRevocations, forwardRevocations, localRevocations, redisRevocations } from './revocations.js';

const PURGE_EVERY_MS = 60 * 60 * 1000;

type FirstStart = BootstrapResult & { passwordLink: { token: string; expiresAt: Date } };

/** The first start's org, owner and key, and a one-time link (24 h) for the owner to set a password. */
async function firstStart(prisma: PrismaClient, config: Config): Promise<FirstStart | undefined> {
  const first = await bootstrapFirstStart(prisma, config.keyEnv, config.initialCreditMicro);
  return first && { ...first, passwordLink: await new PasswordStore(prisma).createLink(first.userId) };
}

function printFirstKey(first: FirstStart, port: number) {
  // Shown once: only the key's and the link token's hashes are stored.
  const base = `http://localhost:${port}`;
  process.stdout.write(
    [
      '',
      'Created organization "default" with owner owner@localhost and workspace "default".',
      `API key (shown once, store it now): ${first.apiKey}`,
      'Try it:',
      `  curl -H "Authorization: Bearer ${first.apiKey}" ${base}/api/v1/me`,
      `Set the owner's dashboard password (one-time link, valid until ${first.passwordLink.expiresAt.toISOString()}):`,
      `  ${passwordLinkUrl(base, first.passwordLink.token)}`,
      '',
    ].join('\n') + '\n',
  );
}

/** One server process: the whole server, or one worker of several. */
async function serve(config: Config, logger: Logger) {
  const db = await openDatabase(config, logger);
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : undefined;
  redis?.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  // Without Redis, the workers of one machine hear each other's revocations through the primary.
  const revocations = config.redisUrl
    ? redisRevocations(config.redisUrl, logger)
    : cluster.isWorker
      ? clusterRevocations(logger)
      : localRevocations();

  // With workers, the primary has bootstrapped already.
  const first = cluster.isWorker ? undefined : await firstStart(db.prisma, config);
  const app = buildApp({ config, db, logger, redis, revocations });
  // This process as a machine of the deployment: registered before it answers, then a heartbeat every
  // HEARTBEAT_MS (a failed beat is logged, never fatal; the timer never keeps the process alive).
  const data = dataLayerOf(app);
  const machines = data.machines;
  await machines.start();
  let stopping = false;
  const http = createHttpServer(app, config);
  const server = http.server;
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // Webhook deliveries: every process relays and delivers; the database shares the work out. A signal that
  // comes while the engine is still starting (its first start creates the queue's schema) waits for it.
  const webhooks = startWebhookEngine({ db, config, logger, machineId: machines.self.id, secretBox: data.secretBox });

  // Stored Idempotency-Key answers past their TTL are removed hourly (reads already ignore them); one
  // process per machine is enough.
  const idempotency = new IdempotencyStore(db.prisma, config.idempotencyTtlMs);
  const purge = setInterval(() => {
    idempotency.purgeExpired().then(
      (count) => count > 0 && logger.info({ count }, 'purged expired idempotency keys'),
      (err) => logger.warn({ err }, 'could not purge idempotency keys'),
    );
  }, PURGE_EVERY_MS);
  purge.unref();
  if (cluster.isWorker && cluster.worker?.id !== 1) clearInterval(purge);

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    http.closeConnectionsAfterResponse();
    clearInterval(purge);
    machines.stop();
    const force = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    clearTimeout(force);
    await webhooks
      .then((engine) => engine.stop())
      .catch((err: unknown) => logger.warn({ err }, 'could not stop webhook deliveries cleanly'));
    // Replies that trigger URLs started store what they have, as a stream whose client left does.
    await data.agentTriggers.stop();
    await db.close();
    await revocations.close();
    redis?.disconnect();
    logger.info('stopped');
    logger.flush(() => process.exit(0));
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Announced only now that a signal finds its handler: without one, SIGTERM kills at once. The key first:
  // whoever waits for 'listening' finds it printed already.
  if (first) printFirstKey(first, port);
  logger.info({ port, database: db.kind, env: config.env, worker: cluster.worker?.id, machine: config.machine.name }, 'listening');
  await webhooks;
}

/**
 * WEB_CONCURRENCY > 1: the primary migrates and bootstraps once, then runs that many workers sharing the
 * port, replaces any that die, and passes SIGTERM/SIGINT on for a graceful stop of all of them.
 */
async function supervise(config: Config, logger: Logger) {
  if (!config.databaseUrl) {
    throw new ConfigError('WEB_CONCURRENCY > 1 needs DATABASE_URL: the embedded database can be opened by one process only');
  }
  const db = await openDatabase(config, logger);
  const first = await firstStart(db.prisma, config);
  await db.close();
  // The key-minting bucket is shared by the workers through the primary when there is no Redis.
  new RateLimiterClusterMaster();
  if (!config.redisUrl) forwardRevocations(logger);

  let stopping = false;
  const fork = () => cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ worker: worker.id, code, signal }, 'worker died; starting another');
    fork();
  });
  let reported = false;
  cluster.on('listening', (_worker, address) => {
    if (first && !reported) printFirstKey(first, address.port);
    reported = true;
  });
  for (let i = 0; i < config.workers; i++) fork();
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: config.workers }, 'stopping workers');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main() {
  const config = loadConfig();
  // Asynchronous writes: a request never waits for stdout. Shutdown flushes before exiting.
  const logger = createLogger(config.logLevel, pino.destination({ dest: 1, sync: false }));
  if (config.workers > 1 && cluster.isPrimary) await supervise(config, logger);
  else await serve(config, logger);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
