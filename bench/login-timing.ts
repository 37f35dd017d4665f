// npm run bench -- --login-timing [--rounds 30] [--json]   (or: npx tsx bench/login-timing.ts [--rounds 30] [--json])
//
// Whether a failed login tells an unknown email from a wrong password by its timing. PasswordStore.verifyLogin
// runs one Argon2id verify either way (against a dummy hash when the user or its hash is missing); this
// measures it, in process, on a fresh embedded database and, when PostgreSQL answers on 127.0.0.1, on a
// database of its own there (dropped afterwards). Each round runs the four cases once, in a shuffled order,
// so drift in the machine's speed spreads over all of them. Prints mean, p50 and p95 per case, and how far
// the means of the two failures are apart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../server/config.js';
import { bootstrap } from '../server/data/bootstrap.js';
import { PasswordStore } from '../server/data/passwords.js';
import { openDatabase, type Database } from '../server/db/database.js';
import { createLogger } from '../server/logger.js';
import { log, quantile, round } from './lib.js';
import { LOCAL_ADMIN_URL, createDatabase, dropDatabase } from './postgres.js';

const PASSWORD = 'tidal lantern orchard 42';
const CASES = ['wrong email', 'wrong password', 'user without password', 'right password'] as const;
type Case = (typeof CASES)[number];

export interface TimingRow {
  database: string;
  case: Case;
  n: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function measure(db: Database, database: string, rounds: number): Promise<TimingRow[]> {
  const boot = (email: string) => bootstrap(db.prisma, { orgSlug: `timing-${process.pid}`, email, keyEnv: 'test' });
  const withPassword = await boot('with-password@timing.test');
  await boot('without-password@timing.test');
  const store = new PasswordStore(db.prisma);
  await store.setPassword(withPassword.userId, PASSWORD);
  const run: Record<Case, () => Promise<unknown>> = {
    'wrong email': () => store.verifyLogin('nobody@timing.test', PASSWORD),
    'wrong password': () => store.verifyLogin('with-password@timing.test', `${PASSWORD}!`),
    'user without password': () => store.verifyLogin('without-password@timing.test', PASSWORD),
    'right password': () => store.verifyLogin('with-password@timing.test', PASSWORD),
  };
  for (const c of CASES) for (let i = 0; i < 3; i++) await run[c](); // warm-up: JIT, pool, caches
  const samples: Record<Case, number[]> = Object.fromEntries(CASES.map((c) => [c, []])) as never;
  for (let r = 0; r < rounds; r++) {
    for (const c of shuffled(CASES)) {
      const start = performance.now();
      await run[c]();
      samples[c].push(performance.now() - start);
    }
  }
  return CASES.map((c) => {
    const sorted = [...samples[c]].sort((a, b) => a - b);
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    return {
      database,
      case: c,
      n: sorted.length,
      meanMs: round(mean),
      p50Ms: round(quantile(sorted, 0.5)),
      p95Ms: round(quantile(sorted, 0.95)),
    };
  });
}

async function onEmbedded(rounds: number): Promise<TimingRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'alumia-login-timing-'));
  const db = await openDatabase(loadConfig({ DATA_DIR: dir, NODE_ENV: 'test' }), createLogger('silent'));
  try {
    return await measure(db, 'embedded', rounds);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function onPostgres(rounds: number): Promise<TimingRow[]> {
  const name = `alumia_login_timing_${process.pid}_${Date.now()}`;
  let url: string;
  try {
    url = await createDatabase(LOCAL_ADMIN_URL, name);
  } catch (err) {
    log(`PostgreSQL not reachable on 127.0.0.1 (${(err as Error).message}): embedded only`);
    return [];
  }
  try {
    const db = await openDatabase(loadConfig({ DATABASE_URL: url, NODE_ENV: 'test' }), createLogger('silent'));
    try {
      return await measure(db, 'postgresql', rounds);
    } finally {
      await db.close();
    }
  } finally {
    await dropDatabase(LOCAL_ADMIN_URL, name);
  }
}

export async function runLoginTiming(options: { rounds: number; json: boolean }): Promise<void> {
  const rows = [...(await onEmbedded(options.rounds)), ...(await onPostgres(options.rounds))];
  const lines = ['database    case                    n    mean ms   p50 ms   p95 ms'];
  for (const r of rows)
    lines.push(
      `${r.database.padEnd(11)} ${r.case.padEnd(22)} ${String(r.n).padStart(3)} ${String(r.meanMs).padStart(9)} ${String(r.p50Ms).padStart(8)} ${String(r.p95Ms).padStart(8)}`,
    );
  for (const database of new Set(rows.map((r) => r.database))) {
    const mean = (c: Case) => rows.find((r) => r.database === database && r.case === c)!.meanMs;
    const gap = mean('wrong email') - mean('wrong password');
    lines.push(
      `${database}: wrong email - wrong password = ${round(gap)} ms (${round((100 * gap) / mean('wrong password'), 1)} % of the latter)`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  if (options.json) process.stdout.write(JSON.stringify({ loginTiming: rows }) + '\n');
}

// Run directly (npx tsx bench/login-timing.ts) as well as from bench/run.ts.
if (process.argv[1]?.endsWith('login-timing.ts')) {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' }, json: { type: 'boolean', default: false } } });
  runLoginTiming({ rounds: Number(values.rounds), json: values.json }).catch((err: unknown) => {
    log(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  });
}
