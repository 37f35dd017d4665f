import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { lockDataDir } from './data-dir-lock.js';
import { migrate, type SqlConnection } from './migrate.js';
import { PrismaClient } from './prisma/client.js';

export { PrismaClient };
export { Prisma } from './prisma/client.js';

/**
 * One parameterized statement on the database's own connections, rows as the driver types them (Date,
 * parsed JSON, arrays): for the reads on every request's path, where building the query through the ORM
 * costs more than running it (bench/README.md has the figures).
 */
export type Sql = <T>(text: string, params: unknown[]) => Promise<T[]>;

/** The same through Prisma (a client or a transaction): slower, but logged by Prisma like every other query. */
export const sqlThroughPrisma =
  (prisma: Pick<PrismaClient, '$queryRawUnsafe'>): Sql =>
  <T>(text: string, params: unknown[]) =>
    prisma.$queryRawUnsafe<T[]>(text, ...params);

/** A unique index refused the row: from Prisma's model calls (P2002), its raw calls (P2010), or a driver. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } } | null;
  return e?.code === 'P2002' || e?.code === '23505' || e?.meta?.driverAdapterError?.cause?.originalCode === '23505';
}

export interface Database {
  kind: 'postgres' | 'embedded';
  prisma: PrismaClient;
  sql: Sql;
  /** The embedded database's own handle (for LISTEN and the job queue's statements); absent on PostgreSQL. */
  pglite?: PGlite;
  /** Resolves true when the database answers a trivial query within timeoutMs. */
  ping(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Upper bound on any wait: connecting, waiting for a pooled connection, one statement. */
  timeoutMs: number;
  poolSize: number;
  logger?: Logger;
  migrate?: boolean;
}

/** Opens the configured database: PostgreSQL when DATABASE_URL is set, else the embedded one. */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  const options = { timeoutMs: config.dbTimeoutMs, poolSize: config.poolSize, logger, migrate: true };
  if (config.databaseUrl) return openPostgres(config.databaseUrl, options);
  const release = await lockDataDir(config.dataDir);
  try {
    // Loaded only here: a server on PostgreSQL never pays for the WASM database's start-up or memory.
    const { newPglite } = await import('./pglite.js');
    const pglite = newPglite(join(config.dataDir, 'pg'));
    await pglite.waitReady;
    return await openEmbedded(pglite, { ...options, release });
  } catch (err) {
    release();
    throw err;
  }
}

export async function openPostgres(url: string, options: OpenOptions): Promise<Database> {
  if (options.migrate) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: options.timeoutMs });
    await client.connect();
    try {
      const conn: SqlConnection = {
        query: async <T>(sql: string, params?: unknown[]) => ({ rows: (await client.query(sql, params)).rows as T[] }),
        exec: (sql) => client.query(sql),
      };
      await runMigrations(conn, options.logger);
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.timeoutMs,
    query_timeout: options.timeoutMs,
    statement_timeout: options.timeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // An idle connection dropped by the server (restart, failover) must not crash the process; the pool
  // replaces it on the next checkout.
  pool.on('error', (err) => options.logger?.warn({ err }, 'idle database connection failed'));
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool),
    transactionOptions: { maxWait: options.timeoutMs, timeout: options.timeoutMs },
  });
  // Named statements are parsed and planned once per connection, then only executed. The texts are
  // constants of the data layer, so the map stays small.
  const statementNames = new Map<string, string>();
  const sql: Sql = async <T>(text: string, params: unknown[]) => {
    let name = statementNames.get(text);
    if (!name) statementNames.set(text, (name = `alumia_${statementNames.size}`));
    return (await pool.query({ name, text, values: params })).rows as T[];
  };
  return {
    kind: 'postgres',
    prisma,
    sql,
    ping: (timeoutMs) => ping(prisma, timeoutMs),
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

export async function openEmbedded(pglite: PGlite, options: OpenOptions & { release?: () => void }): Promise<Database> {
  if (options.migrate) await runMigrations(pglite, options.logger);
  const { PrismaPGlite } = await import('pglite-prisma-adapter');
  const prisma = new PrismaClient({
    adapter: new PrismaPGlite(pglite),
    transactionOptions: { maxWait: options.timeoutMs, timeout: options.timeoutMs },
  });
  return {
    kind: 'embedded',
    prisma,
    pglite,
    sql: async <T>(text: string, params: unknown[]) => (await pglite.query<T>(text, params)).rows,
    ping: (timeoutMs) => ping(prisma, timeoutMs),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      options.release?.();
    },
  };
}

async function runMigrations(conn: SqlConnection, logger?: Logger) {
  const applied = await migrate(conn);
  if (applied.length > 0) logger?.info({ migrations: applied }, 'applied database migrations');
}

async function ping(prisma: PrismaClient, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([prisma.$queryRaw`SELECT 1`.then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
