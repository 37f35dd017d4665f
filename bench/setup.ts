// Database and server set-up for the bench: a fresh PostgreSQL database or embedded data dir, migrated
// with the server's own migration runner, seeded with SQL, and the built server started against it.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { migrate } from '../server/db/migrate.js';
import {
  ROOT, SERVER_ENTRY, adminQuery, distIsFresh, freePort, log, startProcess, stopProcess, waitReady, withDatabase,
  type Spawned,
} from './lib.js';
import { seed, type SeedInfo, type SeedOptions } from './seed.js';

/** Builds with `npm run build` unless dist is newer than every source (or the caller says not to). */
export function ensureBuild(mode: 'auto' | 'always' | 'never') {
  if (mode === 'never' || (mode === 'auto' && distIsFresh())) {
    log(`build: reusing ${SERVER_ENTRY}${mode === 'never' ? ' (--no-build)' : ' (newer than its sources)'}`);
    return;
  }
  log('build: npm run build ...');
  const started = performance.now();
  try {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    log(`build failed:\n${String(e.stdout ?? '').split('\n').slice(-30).join('\n')}\n${String(e.stderr ?? '').split('\n').slice(-30).join('\n')}`);
    throw new Error('npm run build failed (use --no-build to bench the existing dist)');
  }
  log(`build: done in ${Math.round((performance.now() - started) / 1000)} s`);
}

/**
 * Copies the built server into a private directory so that other people rebuilding dist/ while the bench
 * runs cannot change the code under test between two server starts. The copy is laid out like the
 * project (package.json at its root, so the server finds its contract, migrations and model catalog;
 * node_modules linked), and `entry` is its dist/server/main.js.
 */
export function snapshotBuild(): { root: string; entry: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'alumia-bench-app-'));
  cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  for (const dir of [['dist', 'server'], ['dist', 'generated']]) {
    if (existsSync(join(ROOT, ...dir))) cpSync(join(ROOT, ...dir), join(root, ...dir), { recursive: true });
  }
  cpSync(join(ROOT, 'generated', 'openapi.json'), join(root, 'generated', 'openapi.json'));
  cpSync(join(ROOT, 'prisma', 'migrations'), join(root, 'prisma', 'migrations'), { recursive: true });
  cpSync(join(ROOT, 'server', 'data', 'models.json'), join(root, 'server', 'data', 'models.json'));
  return { root, entry: join(root, 'dist', 'server', 'main.js'), remove: () => rmSync(root, { recursive: true, force: true }) };
}

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

/** A new database `alumia_bench_<pid>_<time>` next to the admin URL's; drop() removes it (forcefully). */
export async function createPostgresDatabase(adminUrl: string): Promise<PostgresBench> {
  const name = `alumia_bench_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  let dropped = false;
  return {
    url: withDatabase(adminUrl, name),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

export async function seedPostgres(url: string, options?: Partial<SeedOptions>): Promise<SeedInfo> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migrate({ query: async (s, p) => ({ rows: (await client.query(s, p)).rows }), exec: (s) => client.query(s) });
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
  const pglite = new PGlite(join(dataDir, 'pg'));
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
}): Promise<RunningServer> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    ...('url' in options.db ? { DATABASE_URL: options.db.url } : { DATA_DIR: options.db.dataDir }),
    ...options.env,
  };
  const proc = startProcess(process.execPath, [...(options.nodeFlags ?? []), serverEntry], { env, core: options.core, logFile: options.logFile });
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
export async function startBaseline(options: { url: string; orgId: string; workspaceId: string; core?: number; logFile: string }): Promise<RunningServer> {
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
  const proc = startProcess(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'baseline.ts')], { env, core: options.core, logFile: options.logFile });
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
