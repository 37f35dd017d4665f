// Database and server set-up for the bench: a fresh PostgreSQL database or embedded data dir, migrated
// with the server's own migration runner, seeded with SQL, the built server started against it, readied
// for load (deep cursor, warm-up), and watched (pg_stat counters) and checked afterwards.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { newPglite } from '../server/db/pglite.js';
import pg from 'pg';
import { migrate } from '../server/db/migrate.js';
import { SERVER_ENTRY } from './build.js';
import { ROOT, log } from './lib.js';
import { SCENARIOS, drive, probe, walkCursor, wrongKeys, type Target } from './load.js';
import { createDatabase, dropDatabase } from './postgres.js';
import { freePort, startProcess, stopProcess, waitReady, type Spawned } from './processes.js';
import { seed, type SeedInfo, type SeedOptions } from './seed.js';

let serverEntry = SERVER_ENTRY;
/** Runs every later server start from `entry` (a snapshot) instead of dist/server/main.js. */
export function useServerEntry(entry: string) {
  serverEntry = entry;
}

export interface PostgresBench {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A new database `alumia_bench_<pid>_<time>[_<suffix>]` next to the admin URL's (a copy of `template` when
 * given); drop() removes it (forcefully).
 */
export async function createPostgresDatabase(
  adminUrl: string,
  options: { suffix?: string; template?: string } = {},
): Promise<PostgresBench> {
  const name = `alumia_bench_${process.pid}_${Date.now().toString(36)}${options.suffix ? `_${options.suffix}` : ''}`;
  const url = await createDatabase(adminUrl, name, { template: options.template });
  let dropped = false;
  return {
    url,
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await dropDatabase(adminUrl, name);
    },
  };
}

export async function seedPostgres(url: string, options?: Partial<SeedOptions>): Promise<SeedInfo> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migrate({
      query: async <T>(s: string, p?: unknown[]) => ({ rows: (await client.query(s, p)).rows as T[] }),
      exec: (s) => client.query(s),
    });
    return await seed(client, options);
  } finally {
    await client.end();
  }
}

/**
 * The embedded database admits one process at a time, so it is seeded before the server starts: this
 * process opens DATA_DIR/pg with PGlite, runs the server's migrations, seeds with the same SQL as on
 * PostgreSQL, and closes it again.
 */
export async function seedEmbedded(dataDir: string, options?: Partial<SeedOptions>): Promise<SeedInfo> {
  mkdirSync(dataDir, { recursive: true });
  const pglite = newPglite(join(dataDir, 'pg'));
  await pglite.waitReady;
  try {
    await migrate(pglite);
    return await seed(pglite, options);
  } finally {
    await pglite.close();
  }
}

export interface RunningServer {
  proc: Spawned;
  port: number;
  url: string;
  readyMs: number;
  stop(): Promise<number | string>;
}

/** `node [flags] dist/server/main.js` in production mode on 127.0.0.1, pinned to `core`, until /readyz is 200. */
export async function startServer(options: {
  db: { url: string } | { dataDir: string };
  core?: number;
  logFile: string;
  env?: Record<string, string>;
  nodeFlags?: string[];
  readyTimeoutMs?: number;
  /** The main.js to run; by default the one useServerEntry set (or dist/server/main.js). */
  entry?: string;
}): Promise<RunningServer> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    // The wrong-key scenarios send thousands of unknown keys a second from one address on purpose; the
    // default per-address limit on failed authentications (100/min) would answer them, and everything
    // after them for a minute, with 429.
    AUTH_FAILURE_LIMIT_PER_MINUTE: '1000000',
    ...('url' in options.db ? { DATABASE_URL: options.db.url } : { DATA_DIR: options.db.dataDir }),
    ...options.env,
  };
  const proc = startProcess(process.execPath, [...(options.nodeFlags ?? []), options.entry ?? serverEntry], {
    env,
    core: options.core,
    logFile: options.logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    const readyMs = await waitReady(`${url}/readyz`, proc, options.readyTimeoutMs ?? 120_000);
    return { proc, port, url, readyMs, stop: () => stopProcess(proc, 'SIGTERM', 15_000) };
  } catch (err) {
    await stopProcess(proc, 'SIGKILL', 5_000);
    throw err;
  }
}

/** The bare express + pg baseline (bench/baseline.ts) under tsx, pinned like the server. */
export async function startBaseline(options: {
  url: string;
  orgId: string;
  workspaceId: string;
  core?: number;
  logFile: string;
}): Promise<RunningServer> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    PORT: String(port),
    DATABASE_URL: options.url,
    BASELINE_ORG_ID: options.orgId,
    BASELINE_WORKSPACE_ID: options.workspaceId,
  };
  const proc = startProcess(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'baseline.ts')], {
    env,
    core: options.core,
    logFile: options.logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    const readyMs = await waitReady(`${url}/readyz`, proc, 60_000);
    return { proc, port, url, readyMs, stop: () => stopProcess(proc, 'SIGTERM', 10_000) };
  } catch (err) {
    await stopProcess(proc, 'SIGKILL', 5_000);
    throw err;
  }
}

/**
 * Start-to-ready of `node dist/server/main.js` on an embedded data dir: once on a fresh dir (migrations
 * and first-start bootstrap included), then `repeat` times on the now migrated dir.
 */
export async function measureStartup(dir: string, options: { core?: number; logFile: string; repeat: number }) {
  const fresh = await startServer({ db: { dataDir: dir }, core: options.core, logFile: options.logFile });
  await fresh.stop();
  const migrated: number[] = [];
  for (let i = 0; i < options.repeat; i++) {
    const s = await startServer({ db: { dataDir: dir }, core: options.core, logFile: options.logFile });
    migrated.push(s.readyMs);
    await s.stop();
  }
  return { fresh: fresh.readyMs, migrated };
}

/** Probes a key, walks the list `deepPages` pages deep for the deep cursor, and checks the messages data is there. */
export async function prepareTarget(server: RunningServer, seed: SeedInfo, deepPages: number): Promise<Target> {
  const key = seed.keys[0]!;
  const { cursor, ms } = await walkCursor(server.url, key, deepPages);
  log(`cursor: walked ${deepPages} full pages of 50 in ${ms} ms`);
  const msgs = await probe(server.url, {
    method: 'GET',
    path: `/api/v1/agents/${seed.messageAgentIds[0]}/messages`,
    headers: { authorization: `Bearer ${key}` },
  });
  const count = msgs.status === 200 ? (JSON.parse(msgs.body) as { data: { items: unknown[] } }).data.items.length : -1;
  log(`messages: first message agent answers ${msgs.status} with ${count} messages`);
  return { seed, deepCursor: cursor, wrongKeys: wrongKeys() };
}

/** `seconds` of GET-by-id at 8 connections so the JIT, the pools and the key lastUsedAt writes are settled. */
export async function warmupServer(server: RunningServer, target: Target, seconds: number) {
  const byId = SCENARIOS.find((s) => s.name === 'get-by-id')!;
  await drive({ url: server.url, connections: 8, duration: seconds, warmup: 0, make: byId.request(target), expect: byId.expect });
}

/** The backends serving database `name` and its transaction and row counters, read over an open admin connection. */
export function databaseMonitor(admin: pg.Client, name: string) {
  return {
    backends: async () =>
      (
        await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
          [name],
        )
      ).rows.map((r) => r.pid),
    stats: async () => {
      const { rows: r } = await admin.query<{ xact: string; rows: string }>(
        'SELECT xact_commit + xact_rollback AS xact, tup_returned + tup_fetched AS rows FROM pg_stat_database WHERE datname = $1',
        [name],
      );
      return { xact: Number(r[0]?.xact ?? 0), rows: Number(r[0]?.rows ?? 0) };
    },
  };
}

/** After a run: no two live agents share a slug, and how many agents the org has now. */
export async function databaseChecks(url: string, seed: SeedInfo) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const dup = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT slug FROM "Agent" WHERE "orgId" = $1 AND "deletedAt" IS NULL GROUP BY slug HAVING count(*) > 1) d`,
      [seed.orgId],
    );
    const agents = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Agent" WHERE "orgId" = $1`, [seed.orgId]);
    return { duplicateLiveSlugs: dup.rows[0]!.n, agentsAfterRun: agents.rows[0]!.n };
  } finally {
    await client.end();
  }
}
