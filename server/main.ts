import { createServer, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { bootstrapFirstStart } from './data/bootstrap.js';
import { IdempotencyStore } from './data/idempotency.js';
import { openDatabase } from './db/database.js';
import { createLogger } from './logger.js';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const db = await openDatabase(config, logger);
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : undefined;
  redis?.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));

  const first = await bootstrapFirstStart(db.prisma, config.keyEnv);
  const app = buildApp({ config, db, logger, redis });
  let stopping = false;
  // Responses not yet started when shutdown begins close their connection, so a keep-alive client does
  // not hold the server open until its idle timeout.
  const unanswered = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    unanswered.add(res);
    res.on('close', () => unanswered.delete(res));
    if (stopping) res.setHeader('Connection', 'close');
    app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, database: db.kind, env: config.env }, 'listening');

  if (first) {
    // Shown once: only the key's hash is stored.
    process.stdout.write(
      [
        '',
        'Created organization "default" with owner owner@localhost and workspace "default".',
        `API key (shown once, store it now): ${first.apiKey}`,
        'Try it:',
        `  curl -H "Authorization: Bearer ${first.apiKey}" http://localhost:${port}/api/v1/me`,
        '',
      ].join('\n') + '\n',
    );
  }

  // Stored Idempotency-Key answers past their TTL are removed hourly (reads already ignore them).
  const idempotency = new IdempotencyStore(db.prisma, config.idempotencyTtlMs);
  const purge = setInterval(() => {
    idempotency.purgeExpired().then(
      (count) => count > 0 && logger.info({ count }, 'purged expired idempotency keys'),
      (err) => logger.warn({ err }, 'could not purge idempotency keys'),
    );
  }, 60 * 60 * 1000);
  purge.unref();

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    for (const res of unanswered) if (!res.headersSent) res.setHeader('Connection', 'close');
    clearInterval(purge);
    const force = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    clearTimeout(force);
    await db.close();
    redis?.disconnect();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err?.stack ?? err}\n`);
  process.exit(1);
});
