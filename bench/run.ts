// npm run bench [-- --quick] [-- --json] ... : see bench/README.md.
//
// Builds (or reuses) dist, creates a fresh PostgreSQL database and seeds it with SQL, starts the built
// server (NODE_ENV=production) and the bare express + pg baseline as child processes pinned to core 1,
// pins this process (the load generator) to core 0, and drives every scenario with autocannon at each
// connection count. Then the same on the embedded database. Prints a table (ratios first) and writes
// bench/results/<date>-<host>.json. Everything it starts or creates is removed on the way out.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import {
  DEFAULT_ADMIN_URL, ROOT, assertLoopback, buildInfo, calibrate, log, machineInfo, pinSelf, round, rssMb, stopAllProcesses, taskset, waitQuiet,
} from './lib.js';
import { SCENARIOS, drive, probe, walkCursor, wrongKeys, type BaselineKind, type Measurement, type Scenario, type Target } from './load.js';
import { explainQueries, type PlanSummary } from './plans.js';
import type { SeedInfo } from './seed.js';
import {
  createPostgresDatabase, ensureBuild, measureStartup, seedEmbedded, seedPostgres, snapshotBuild, startBaseline, startServer, useServerEntry,
  type PostgresBench, type RunningServer,
} from './setup.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '1,32' },
    only: { type: 'string' },
    embedded: { type: 'boolean', default: true },
    'no-embedded': { type: 'boolean', default: false },
    build: { type: 'string', default: 'auto' },
    'no-build': { type: 'boolean', default: false },
    'deep-pages': { type: 'string', default: '150' },
    pair: { type: 'string', default: 'all' },
    'wait-quiet': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(readFileSync(join(ROOT, 'bench', 'README.md'), 'utf8'));
  process.exit(0);
}

const QUICK = args.quick;
const DURATION = Number(args.duration ?? (QUICK ? 2 : 10));
const WARMUP = Number(args.warmup ?? (QUICK ? 0.5 : 2));
const CONNECTIONS = args.connections.split(',').map(Number).filter((n) => n > 0);
const ONLY = args.only ? new Set(args.only.split(',')) : null;
const EMBEDDED = args.embedded && !args['no-embedded'];
const BUILD = args['no-build'] ? 'never' : (args.build as 'auto' | 'always' | 'never');
const DEEP_PAGES = Number(args['deep-pages']);
// 'all': every scenario is preceded by its baseline at the same connection count (ratios stay honest on a
// machine whose load drifts); 'natural': only scenarios whose baseline runs the same query.
const PAIR_ALL = args.pair !== 'natural';
const SERVER_CORE = 1;
const LOADGEN_CORE = 0;

const scenarios = SCENARIOS.filter((s) => !ONLY || ONLY.has(s.name));
// Configuration variants of get-by-id, each on a freshly started server with the same warm-up as its
// control (a fresh server with the defaults), in A-B-C then C-B-A order in a full run; rows are the means.
const VARIANTS: Array<{ label: string; env: Record<string, string>; why: string }> = [
  { label: 'get-by-id [control: fresh, defaults]', env: {}, why: 'the control for the variants below' },
  { label: 'get-by-id [VALIDATE_RESPONSES=0]', env: { VALIDATE_RESPONSES: '0' }, why: 'cost of response validation' },
  { label: 'get-by-id [LOG_LEVEL=warn]', env: { LOG_LEVEL: 'warn' }, why: 'cost of the per-request access log line' },
];
const VARIANT_REPS = QUICK ? 1 : 2;
const runVariants = !ONLY || ONLY.has('get-by-id');

interface Row extends Measurement {
  name: string;
  db: 'postgres' | 'embedded';
  scenario: string;
  connections: number;
  baselineRps: number | null;
  baselineP50: number | null;
  baselineP99: number | null;
  baselineCpuUsPerReq: number | null;
  baselinePgCpuUsPerReq: number | null;
  baselinePgXactPerReq: number | null;
  ratio: number | null;
  /** What the ratio divides by. */
  baselineOf: string;
  expect: number[];
  probe?: string;
  /** Runs averaged into this row (configuration variants). */
  repeats?: number;
}

const rows: Row[] = [];
const baselines = new Map<string, Measurement>(); // latest run, by `${kind}@${connections}`
const baselineRuns: Array<{ kind: string; connections: number; rps: number; p50: number; p99: number; serverCpuUsPerReq: number | null; pgCpuUsPerReq: number | null; otherCpuPct: number | null; errors: number; non2xx: number }> = [];
const startedAt = new Date();
let tmp: string | undefined;
let pgBench: PostgresBench | undefined;
let cleaning: Promise<void> | undefined;
let pgAdmin: pg.Client | undefined;
let builtWith: ReturnType<typeof buildInfo> | undefined;
let snapshot: ReturnType<typeof snapshotBuild> | undefined;
const calibration: { start: number | null; end: number | null } = { start: null, end: null };
let pgBackends: (() => Promise<number[]>) | undefined;
let pgStats: (() => Promise<{ xact: number; rows: number }>) | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAllProcesses();
    await pgAdmin?.end().catch(() => {});
    if (pgBench) {
      await pgBench.drop().catch((err) => log(`cleanup: could not drop ${pgBench?.name}: ${(err as Error).message}`));
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    snapshot?.remove();
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    log(`\nbench: ${signal}, cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

// Every run is bounded: the whole bench gets its expected time plus a margin, then stops itself.
const perRun = DURATION + WARMUP + 5;
const runCount = scenarios.length * CONNECTIONS.length * (EMBEDDED ? 2 : 1) +
  (PAIR_ALL ? scenarios.length : scenarios.filter((s) => s.natural).length) * CONNECTIONS.length +
  (runVariants ? (VARIANTS.length * VARIANT_REPS + 1) * CONNECTIONS.length : 0);
const budgetS = Math.round(runCount * perRun * 1.5 + 900);
const watchdog = setTimeout(() => {
  log(`bench: still running after ${budgetS} s (budget), stopping`);
  void cleanup().finally(() => process.exit(2));
}, budgetS * 1000);
watchdog.unref();

async function main() {
  if (args['wait-quiet']) {
    const load = await waitQuiet(1.5, Number(args['wait-quiet']));
    log(`bench: 1-minute load average ${load} when starting`);
  }
  const pinned = pinSelf(LOADGEN_CORE);
  calibration.start = calibrate(SERVER_CORE);
  log(`bench: ${QUICK ? 'quick' : 'full'} run, ${DURATION} s per scenario (+${WARMUP} s warm-up), connections ${CONNECTIONS.join(' and ')}, ` +
    `${pinned ? `load generator pinned to core ${LOADGEN_CORE}, servers to core ${SERVER_CORE}` : 'no pinning (taskset unavailable)'}; budget ${budgetS} s`);
  ensureBuild(BUILD);
  builtWith = buildInfo();
  snapshot = snapshotBuild();
  useServerEntry(snapshot.entry);
  log(`build: commit ${builtWith.commit}${builtWith.uncommittedServerChanges ? ' + uncommitted server changes' : ''}, dist/server ${builtWith.distServerSha256}`);

  const adminUrl = process.env.DATABASE_URL ?? DEFAULT_ADMIN_URL;
  assertLoopback(adminUrl);
  tmp = mkdtempSync(join(tmpdir(), 'alumia-bench-'));
  const serverLog = join(tmp, 'server.log');

  // Start-up on the embedded database, first while the machine is quiet.
  let startup: { fresh: number; migrated: number[] } | undefined;
  if (EMBEDDED) {
    log('startup: node dist/server/main.js on a fresh embedded data dir, then 3x on the migrated one ...');
    startup = await measureStartup(join(tmp, 'startup-data'), { core: SERVER_CORE, logFile: serverLog, repeat: 3 });
    log(`startup: fresh ${round(startup.fresh, 0)} ms, migrated ${startup.migrated.map((m) => round(m, 0)).join(' / ')} ms`);
  }

  // ---------------------------------------------------------------------------------------------- PostgreSQL
  pgBench = await createPostgresDatabase(adminUrl);
  log(`postgres: database ${pgBench.name}; migrating and seeding ...`);
  const pgSeed = await seedPostgres(pgBench.url);
  log(`postgres: seeded in ${pgSeed.ms} ms: ${JSON.stringify(pgSeed.counts)}`);
  const pgServer = await startServer({ db: { url: pgBench.url }, core: SERVER_CORE, logFile: serverLog });
  log(`postgres: server ready in ${round(pgServer.readyMs, 0)} ms (migrated database), pid ${pgServer.proc.pid}, RSS ${rssMb(pgServer.proc.pid)} MB`);
  const baseline = await startBaseline({ url: pgBench.url, orgId: pgSeed.orgId, workspaceId: pgSeed.mainWorkspaceId, core: SERVER_CORE, logFile: join(tmp, 'baseline.log') });
  pgAdmin = new pg.Client({ connectionString: adminUrl });
  await pgAdmin.connect();
  const dbName = pgBench.name;
  const admin = pgAdmin;
  pgBackends = async () =>
    (await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`, [dbName],
    )).rows.map((r) => r.pid);
  pgStats = async () => {
    const { rows: r } = await admin.query<{ xact: string; rows: string }>(
      'SELECT xact_commit + xact_rollback AS xact, tup_returned + tup_fetched AS rows FROM pg_stat_database WHERE datname = $1', [dbName]);
    return { xact: Number(r[0]?.xact ?? 0), rows: Number(r[0]?.rows ?? 0) };
  };
  const pgTarget = await prepareTarget(pgServer, pgSeed);
  const plans = await explainQueries(pgBench.url, pgSeed, pgTarget.deepCursor).catch((err: Error) => {
    log(`plans: skipped (${err.message})`);
    return [] as PlanSummary[];
  });
  printPlans(plans);
  await warmupServer(pgServer, pgTarget);

  let server = pgServer;
  for (const scenario of scenarios) {
    for (const connections of CONNECTIONS) {
      if (scenario.natural || PAIR_ALL || !baselines.has(`${scenario.baseline}@${connections}`)) {
        await runBaseline(baseline, pgTarget, scenario.baseline, connections);
      }
      await runScenario('postgres', server, pgTarget, scenario, connections);
    }
  }
  const pgChecks = await databaseChecks(pgBench.url, pgSeed);
  // The same plans once the write scenarios have added thousands of agents (and dirtied the visibility map).
  const plansAfterWrites = await explainQueries(pgBench.url, pgSeed, pgTarget.deepCursor).catch((err: Error) => {
    log(`plans after writes: skipped (${err.message})`);
    return [] as PlanSummary[];
  });
  log('after the write scenarios:');
  printPlans(plansAfterWrites);
  await server.stop();

  if (runVariants) {
    for (const connections of CONNECTIONS) await runBaseline(baseline, pgTarget, 'get-by-id', connections);
    const runs = new Map<string, Row[]>();
    for (let rep = 0; rep < VARIANT_REPS; rep++) {
      for (const variant of rep % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
        server = await startServer({ db: { url: pgBench.url }, core: SERVER_CORE, logFile: serverLog, env: variant.env });
        await warmupServer(server, pgTarget);
        for (const connections of CONNECTIONS) {
          const row = await runScenario('postgres', server, pgTarget, { ...SCENARIOS[0]!, name: variant.label }, connections, false);
          const key = `${variant.label}@${connections}`;
          runs.set(key, [...(runs.get(key) ?? []), row]);
        }
        await server.stop();
      }
    }
    for (const variant of VARIANTS) for (const connections of CONNECTIONS) rows.push(meanRow(runs.get(`${variant.label}@${connections}`)!));
  }
  await baseline.stop();
  pgBackends = undefined;
  pgStats = undefined;
  await pgAdmin.end();
  pgAdmin = undefined;
  await pgBench.drop();

  // ------------------------------------------------------------------------------------------------ embedded
  let embeddedSeed: SeedInfo | undefined;
  if (EMBEDDED) {
    const dataDir = join(tmp, 'bench-data');
    log('embedded: migrating and seeding DATA_DIR/pg with PGlite before the server starts ...');
    embeddedSeed = await seedEmbedded(dataDir);
    log(`embedded: seeded in ${embeddedSeed.ms} ms`);
    const emServer = await startServer({ db: { dataDir }, core: SERVER_CORE, logFile: serverLog });
    log(`embedded: server ready in ${round(emServer.readyMs, 0)} ms, pid ${emServer.proc.pid}`);
    const emTarget = await prepareTarget(emServer, embeddedSeed);
    await warmupServer(emServer, emTarget);
    for (const scenario of scenarios) {
      for (const connections of CONNECTIONS) await runScenario('embedded', emServer, emTarget, scenario, connections);
    }
    await emServer.stop();
  }

  // -------------------------------------------------------------------------------------------------- report
  calibration.end = calibrate(SERVER_CORE);
  const targets = evaluateTargets(startup);
  const variantEffects = runVariants ? variantDeltas() : [];
  const result = {
    scenarios: rows.map((r) => ({
      name: r.name, db: r.db, scenario: r.scenario, connections: r.connections,
      rps: r.rps, p50: r.p50, p99: r.p99, baselineRps: r.baselineRps, ratio: r.ratio, rssMb: r.rssMb,
      errors: r.errors + r.timeouts, non2xx: r.non2xx, unexpected: r.unexpected, statusCodes: r.statusCodes,
      p90: r.p90, mean: r.mean, max: r.max, requests: r.requests, baselineP50: r.baselineP50, baselineP99: r.baselineP99,
      baselineOf: r.baselineOf, serverCpuUsPerReq: r.serverCpuUsPerReq, pgCpuUsPerReq: r.pgCpuUsPerReq,
      baselineCpuUsPerReq: r.baselineCpuUsPerReq, baselinePgCpuUsPerReq: r.baselinePgCpuUsPerReq,
      pgXactPerReq: r.pgXactPerReq, pgRowsReadPerReq: r.pgRowsReadPerReq, baselinePgXactPerReq: r.baselinePgXactPerReq,
      otherCpuPct: r.otherCpuPct, serverWaitPct: r.serverWaitPct, loadgenWaitPct: r.loadgenWaitPct, loadAvg: r.loadAvg,
      ...(r.createdSlugs ? { createdSlugs: r.createdSlugs } : {}), ...(r.probe ? { probe: r.probe } : {}),
      ...(r.repeats ? { repeats: r.repeats } : {}),
    })),
    baselineRuns,
    startupMs: {
      fresh: startup ? round(startup.fresh, 0) : null,
      migrated: startup ? round(median(startup.migrated), 0) : null,
      migratedRuns: startup?.migrated.map((m) => round(m, 0)) ?? [],
      postgresMigrated: round(pgServer.readyMs, 0),
    },
    targets,
    variants: variantEffects,
    checks: { postgres: pgChecks },
    plans,
    plansAfterWrites,
    seed: { postgres: pgSeed.counts, embedded: embeddedSeed?.counts ?? null, seedMs: { postgres: pgSeed.ms, embedded: embeddedSeed?.ms ?? null } },
    machine: { ...machineInfo(), calibrationCpuMs: calibration, postgres: await postgresVersion(adminUrl), pinned: taskset() !== null, serverCore: SERVER_CORE, loadGeneratorCore: LOADGEN_CORE },
    build: builtWith,
    date: startedAt.toISOString(),
    options: { quick: QUICK, durationS: DURATION, warmupS: WARMUP, connections: CONNECTIONS, only: ONLY ? [...ONLY] : null, embedded: EMBEDDED, deepPages: DEEP_PAGES, serverEnv: 'NODE_ENV=production, defaults otherwise (pool 10, LOG_LEVEL info to a file, response validation on)' },
    wallS: round((Date.now() - startedAt.getTime()) / 1000, 0),
  };
  printTable(result.startupMs, targets, variantEffects);
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // A partial run (--only, --connections, --no-embedded) or a quick one never overwrites a full run's file.
  const partial = ONLY || !EMBEDDED || args.connections !== '1,32';
  const file = join(dir, `${startedAt.toISOString().slice(0, 10)}-${result.machine.hostname}${QUICK ? '.quick' : ''}${partial ? '.partial' : ''}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`results: ${file}`);
  if (args.json) process.stdout.write(JSON.stringify(result) + '\n');
}

/** Probes a key, walks the list to the deep cursor, and checks the messages data is there. */
async function prepareTarget(server: RunningServer, seed: SeedInfo): Promise<Target> {
  const key = seed.keys[0]!;
  const { cursor, ms } = await walkCursor(server.url, key, DEEP_PAGES);
  log(`cursor: walked ${DEEP_PAGES} full pages of 50 in ${ms} ms`);
  const msgs = await probe(server.url, { method: 'GET', path: `/api/v1/agents/${seed.messageAgentIds[0]}/messages`, headers: { authorization: `Bearer ${key}` } });
  const count = msgs.status === 200 ? (JSON.parse(msgs.body) as { data: { items: unknown[] } }).data.items.length : -1;
  log(`messages: first message agent answers ${msgs.status} with ${count} messages`);
  return { seed, deepCursor: cursor, wrongKeys: wrongKeys() };
}

/** A few seconds of mixed reads so the JIT, the pools and the key lastUsedAt writes are settled. */
async function warmupServer(server: RunningServer, target: Target) {
  const mixed = SCENARIOS.find((s) => s.name === 'get-by-id')!;
  await drive({ url: server.url, connections: 8, duration: QUICK ? 1 : 3, warmup: 0, make: mixed.request(target), expect: mixed.expect });
}

async function runBaseline(baseline: RunningServer, target: Target, kind: BaselineKind, connections: number) {
  const scenario = SCENARIOS.find((s) => s.name === kind)!;
  const m = await drive({
    url: baseline.url, connections, duration: DURATION, warmup: WARMUP, make: scenario.request(target), expect: [200],
    serverPid: baseline.proc.pid, pgBackends, pgStats,
  });
  baselines.set(`${kind}@${connections}`, m);
  baselineRuns.push({ kind, connections, rps: m.rps, p50: m.p50, p99: m.p99, serverCpuUsPerReq: m.serverCpuUsPerReq, pgCpuUsPerReq: m.pgCpuUsPerReq, otherCpuPct: m.otherCpuPct, errors: m.errors + m.timeouts, non2xx: m.non2xx });
  log(`  baseline ${kind.padEnd(34)} c=${String(connections).padEnd(3)} ${fmt(m.rps, 0).padStart(7)} rps  p50 ${fmt(m.p50)}  p99 ${fmt(m.p99)} ms  ` +
    `non2xx ${m.non2xx}  CPU/req ${m.serverCpuUsPerReq} us + pg ${m.pgCpuUsPerReq} us  xact/req ${m.pgXactPerReq}  other load ${m.otherCpuPct}%`);
}

/** The mean of repeated runs of one scenario (counts summed), with the ratio recomputed. */
function meanRow(list: Row[]): Row {
  const first = list[0]!;
  const avg = (f: (r: Row) => number | null) => {
    const v = list.map(f).filter((x): x is number => x !== null && Number.isFinite(x));
    return v.length ? round(v.reduce((a, b) => a + b, 0) / v.length, 2) : null;
  };
  const sum = (f: (r: Row) => number) => list.reduce((a, r) => a + f(r), 0);
  const statusCodes: Record<string, number> = {};
  for (const r of list) for (const [code, n] of Object.entries(r.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const rps = avg((r) => r.rps)!;
  const baselineRps = avg((r) => r.baselineRps);
  return {
    ...first,
    rps, p50: avg((r) => r.p50)!, p90: avg((r) => r.p90)!, p99: avg((r) => r.p99)!, mean: avg((r) => r.mean)!, max: Math.max(...list.map((r) => r.max)),
    rssMb: avg((r) => r.rssMb), serverCpuUsPerReq: avg((r) => r.serverCpuUsPerReq), pgCpuUsPerReq: avg((r) => r.pgCpuUsPerReq),
    otherCpuPct: avg((r) => r.otherCpuPct), serverWaitPct: avg((r) => r.serverWaitPct), loadgenWaitPct: avg((r) => r.loadgenWaitPct),
    requests: sum((r) => r.requests), errors: sum((r) => r.errors), timeouts: sum((r) => r.timeouts), non2xx: sum((r) => r.non2xx),
    unexpected: sum((r) => r.unexpected), statusCodes,
    baselineRps, baselineP50: avg((r) => r.baselineP50), baselineP99: avg((r) => r.baselineP99),
    baselineCpuUsPerReq: avg((r) => r.baselineCpuUsPerReq), baselinePgCpuUsPerReq: avg((r) => r.baselinePgCpuUsPerReq),
    baselinePgXactPerReq: avg((r) => r.baselinePgXactPerReq), pgXactPerReq: avg((r) => r.pgXactPerReq), pgRowsReadPerReq: avg((r) => r.pgRowsReadPerReq),
    ratio: baselineRps ? round(rps / baselineRps, 3) : null,
    repeats: list.length,
  };
}

async function runScenario(db: 'postgres' | 'embedded', server: RunningServer, target: Target, scenario: Scenario, connections: number, record = true): Promise<Row> {
  const make = scenario.request(target);
  const first = await probe(server.url, make()).catch((err: Error) => ({ status: 0, body: err.message }));
  const probeNote = scenario.expect.includes(first.status) ? undefined : `probe answered ${first.status}: ${first.body.slice(0, 300)}`;
  if (probeNote) log(`  ! ${scenario.name}: ${probeNote}`);
  const m = await drive({
    url: server.url, connections, duration: DURATION, warmup: WARMUP, make, expect: scenario.expect,
    serverPid: server.proc.pid, collectSlugs: scenario.creates,
    pgBackends: db === 'postgres' ? pgBackends : undefined, pgStats: db === 'postgres' ? pgStats : undefined,
  });
  const base = baselines.get(`${scenario.baseline}@${connections}`) ?? null;
  const baselineOf = db === 'embedded'
    ? `PostgreSQL baseline, ${scenario.baseline} (no bare baseline exists for the embedded database)`
    : scenario.natural ? 'same query, bare express + pg' : `${scenario.baseline} baseline (no natural baseline)`;
  const row: Row = {
    ...m,
    name: `${db}/${scenario.name}@${connections}`,
    db,
    scenario: scenario.name,
    connections,
    baselineRps: base?.rps ?? null,
    baselineP50: base?.p50 ?? null,
    baselineP99: base?.p99 ?? null,
    baselineCpuUsPerReq: base?.serverCpuUsPerReq ?? null,
    baselinePgCpuUsPerReq: base?.pgCpuUsPerReq ?? null,
    baselinePgXactPerReq: base?.pgXactPerReq ?? null,
    ratio: base && base.rps > 0 ? round(m.rps / base.rps, 3) : null,
    baselineOf,
    expect: scenario.expect,
    ...(probeNote ? { probe: probeNote } : {}),
  };
  if (record) rows.push(row);
  log(`  ${db.padEnd(8)} ${scenario.name.padEnd(34)} c=${String(connections).padEnd(3)} ${fmt(m.rps, 0).padStart(7)} rps  p50 ${fmt(m.p50)}  p99 ${fmt(m.p99)} ms  ` +
    `ratio ${row.ratio ?? '-'}  non2xx ${m.non2xx} unexpected ${m.unexpected} errors ${m.errors + m.timeouts}  RSS ${m.rssMb} MB  ` +
    `CPU/req ${m.serverCpuUsPerReq} us + pg ${m.pgCpuUsPerReq ?? '-'} us  xact/req ${m.pgXactPerReq ?? '-'} rows/req ${m.pgRowsReadPerReq ?? '-'}  ` +
    `other load ${m.otherCpuPct}%  srv wait ${m.serverWaitPct}%`);
  return row;
}

async function databaseChecks(url: string, seed: SeedInfo) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const dup = await client.query(
      `SELECT count(*)::int AS n FROM (SELECT slug FROM "Agent" WHERE "orgId" = $1 AND "deletedAt" IS NULL GROUP BY slug HAVING count(*) > 1) d`, [seed.orgId]);
    const agents = await client.query(`SELECT count(*)::int AS n FROM "Agent" WHERE "orgId" = $1`, [seed.orgId]);
    return { duplicateLiveSlugs: dup.rows[0].n as number, agentsAfterRun: agents.rows[0].n as number };
  } finally {
    await client.end();
  }
}

async function postgresVersion(adminUrl: string): Promise<string | null> {
  try {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    const { rows: r } = await client.query('SHOW server_version');
    await client.end();
    return r[0].server_version as string;
  } catch {
    return null;
  }
}

// ----------------------------------------------------------------------------------------------- targets

interface TargetCheck {
  target: string;
  value: string;
  pass: boolean | null;
}

function evaluateTargets(startup: { fresh: number; migrated: number[] } | undefined): TargetCheck[] {
  const get = (scenario: string, c: number, db = 'postgres') => rows.find((r) => r.db === db && r.scenario === scenario && r.connections === c);
  const hi = Math.max(...CONNECTIONS);
  const lo = Math.min(...CONNECTIONS);
  const checks: TargetCheck[] = [];
  const add = (target: string, value: string, pass: boolean | null) => checks.push({ target, value, pass });
  for (const db of ['postgres', ...(EMBEDDED ? ['embedded'] : [])]) {
    const byId = get('get-by-id', hi, db);
    if (byId) {
      add(`${db}: GET by id >= 60% of baseline rps at ${hi} conn`, `${pct(byId.ratio)} (${fmt(byId.rps, 0)} vs ${fmt(byId.baselineRps ?? NaN, 0)} rps)`, byId.ratio !== null ? byId.ratio >= 0.6 : null);
      add(`${db}: GET by id p99 < 20 ms at ${hi} conn`, `${fmt(byId.p99)} ms`, byId.p99 < 20);
    }
    for (const name of ['list-first', 'list-deep']) {
      const l = get(name, lo, db);
      if (l) add(`${db}: ${name} p50 < 5 ms at ${lo} conn`, `${fmt(l.p50)} ms`, l.p50 < 5);
    }
    const c = get('create', hi, db);
    if (c) {
      const slugsOk = !c.createdSlugs || c.createdSlugs.answered === c.createdSlugs.distinct;
      add(`${db}: create p99 < 30 ms at ${hi} conn, zero errors, unique slugs`,
        `${fmt(c.p99)} ms, ${c.errors + c.timeouts} errors, ${c.unexpected} unexpected statuses, ${c.createdSlugs?.distinct ?? '?'}/${c.createdSlugs?.answered ?? '?'} distinct slugs`,
        c.p99 < 30 && c.errors + c.timeouts === 0 && c.unexpected === 0 && slugsOk);
    }
    const w = get('wrong-key-401', hi, db);
    if (w && byId) {
      const r = w.rps / byId.rps;
      add(`${db}: wrong-key 401 >= 90% of GET-by-id rps at ${hi} conn`, `${pct(r)} (${fmt(w.rps, 0)} vs ${fmt(byId.rps, 0)} rps, ${w.unexpected} non-401)`, r >= 0.9 && w.unexpected === 0);
    }
    const mixed = get('mixed-80r-20w', hi, db);
    if (mixed) add(`${db}: RSS < 200 MB after the mixed run`, `${mixed.rssMb} MB`, mixed.rssMb !== null ? mixed.rssMb < 200 : null);
  }
  if (startup) add('embedded: startup to /readyz on a migrated data dir < 1.5 s', `${fmt(median(startup.migrated), 0)} ms (fresh dir: ${fmt(startup.fresh, 0)} ms)`, median(startup.migrated) < 1500);
  const errs = rows.filter((r) => r.errors + r.timeouts > 0 || r.unexpected > 0);
  add('zero errors and only expected statuses in every scenario', errs.length === 0 ? 'none' : errs.map((r) => `${r.name}: ${r.errors + r.timeouts} errors, ${r.unexpected} unexpected ${JSON.stringify(r.statusCodes)}`).join('; '), errs.length === 0);
  return checks;
}

/** Each variant against its control: throughput and server CPU per request. */
function variantDeltas() {
  const out: Array<{ variant: string; connections: number; rps: number; controlRps: number; deltaRpsPct: number; cpuUsPerReq: number | null; controlCpuUsPerReq: number | null; deltaCpuUsPerReq: number | null }> = [];
  for (const variant of VARIANTS.slice(1)) {
    for (const connections of CONNECTIONS) {
      const v = rows.find((r) => r.scenario === variant.label && r.connections === connections);
      const c = rows.find((r) => r.scenario === VARIANTS[0]!.label && r.connections === connections);
      if (!v || !c) continue;
      out.push({
        variant: variant.label, connections, rps: v.rps, controlRps: c.rps, deltaRpsPct: round(((v.rps - c.rps) / c.rps) * 100, 1),
        cpuUsPerReq: v.serverCpuUsPerReq, controlCpuUsPerReq: c.serverCpuUsPerReq,
        deltaCpuUsPerReq: v.serverCpuUsPerReq !== null && c.serverCpuUsPerReq !== null ? round(v.serverCpuUsPerReq - c.serverCpuUsPerReq, 0) : null,
      });
    }
  }
  return out;
}

// ----------------------------------------------------------------------------------------------- printing

const fmt = (n: number | null | undefined, digits = 2) => (n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
const pct = (r: number | null) => (r === null ? '-' : `${Math.round(r * 100)}%`);
function median(list: number[]) {
  const s = [...list].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
}

function printPlans(plans: PlanSummary[]) {
  if (plans.length === 0) return;
  log('\nplans (EXPLAIN ANALYZE of the SQL the data layer sends, warm cache, PostgreSQL):');
  for (const p of plans) {
    log(`  ${p.name.padEnd(36)} exec ${fmt(p.executionMs, 3).padStart(7)} ms  plan ${fmt(p.planningMs, 3).padStart(6)} ms  rows read ${String(p.rowsRead).padStart(6)}  ` +
      `removed by filter ${String(p.rowsRemovedByFilter).padStart(6)}  ${p.scans.join('; ')}`);
  }
  log('');
}

function printTable(
  startupMs: { fresh: number | null; migrated: number | null; postgresMigrated: number },
  targets: TargetCheck[],
  variants: ReturnType<typeof variantDeltas>,
) {
  const out: string[] = [];
  const header = ['ratio', 'db', 'scenario', 'conn', 'rps', 'base rps', 'p50 ms', 'p99 ms', 'base p50', 'base p99', 'non2xx', 'unexp', 'errors',
    'RSS MB', 'CPU us/req srv+pg', 'base srv+pg', 'pg xact/req', 'pg rows/req', 'other %', 'srv wait %'];
  const table = rows.map((r) => [
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}${r.db === 'embedded' ? '^' : r.baselineOf.startsWith('same') ? '' : '*'}`,
    r.db, r.scenario, String(r.connections), fmt(r.rps, 0), fmt(r.baselineRps, 0), fmt(r.p50), fmt(r.p99), fmt(r.baselineP50), fmt(r.baselineP99),
    String(r.non2xx), String(r.unexpected), String(r.errors + r.timeouts), fmt(r.rssMb, 0),
    `${fmt(r.serverCpuUsPerReq, 0)}+${fmt(r.pgCpuUsPerReq, 0)}`, `${fmt(r.baselineCpuUsPerReq, 0)}+${fmt(r.baselinePgCpuUsPerReq, 0)}`,
    fmt(r.pgXactPerReq, 1), fmt(r.pgRowsReadPerReq, 0), fmt(r.otherCpuPct, 0), fmt(r.serverWaitPct, 0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i <= 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  out.push('', line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...table.map(line));
  out.push(
    '',
    'ratio = rps / baseline rps at the same connection count. Baseline: bench/baseline.ts (express 5 + pg, no auth/validation/ORM/logging),',
    '  no mark = the same query; * = the GET-by-id baseline (no natural baseline); ^ = embedded run against the PostgreSQL baseline.',
    'non2xx counts every non-2xx answer (the 401 scenario expects only 401s); unexp = statuses outside the scenario\'s expected set.',
    'CPU us/req = user+sys CPU per request of the server process + of the PostgreSQL backends serving the bench database (embedded: all in srv);',
    '  base = the same for the baseline run. pg xact/req, rows/req: transactions and rows read by scans per request (pg_stat_database,',
    '  approximate). other % = CPU used meanwhile by everything else on the machine, in % of one core',
    '  (other users\' builds and tests); srv wait % = share of the run the server\'s main thread waited for its core.',
    '  High values mean that row\'s absolute numbers are depressed by foreign load; ratios (paired runs) less so.',
    '',
    ...(variants.length ? [
      `variants of get-by-id vs a control on an equally warmed fresh server (${VARIANT_REPS === 1 ? '1 run' : `mean of ${VARIANT_REPS} runs, ABC then CBA`}):`,
      ...variants.map((v) => `  ${v.variant.padEnd(34)} c=${String(v.connections).padEnd(3)} ${fmt(v.deltaRpsPct, 1).padStart(6)}% rps (${fmt(v.rps, 0)} vs ${fmt(v.controlRps, 0)}), ` +
        `server CPU ${v.deltaCpuUsPerReq !== null && v.deltaCpuUsPerReq >= 0 ? '+' : ''}${fmt(v.deltaCpuUsPerReq, 0)} us/req (${fmt(v.cpuUsPerReq, 0)} vs ${fmt(v.controlCpuUsPerReq, 0)})`),
      '',
    ] : []),
    `machine speed index (CPU ms of a fixed hashing+JSON task on core ${SERVER_CORE}; lower is faster): ${calibration.start} at the start, ${calibration.end} at the end`,
    '',
    `startup to /readyz (embedded): fresh dir ${fmt(startupMs.fresh, 0)} ms, migrated dir ${fmt(startupMs.migrated, 0)} ms (median of 3); PostgreSQL (migrated): ${fmt(startupMs.postgresMigrated, 0)} ms`,
    '',
    'targets:',
    ...targets.map((t) => `  ${t.pass === null ? '?   ' : t.pass ? 'PASS' : 'FAIL'}  ${t.target}: ${t.value}`),
    '',
  );
  process.stdout.write(out.join('\n') + '\n');
}

main()
  .then(async () => {
    clearTimeout(watchdog);
    await cleanup();
    process.exit(0);
  })
  .catch(async (err: Error) => {
    log(`bench: failed: ${err.stack ?? err}`);
    if (tmp) {
      try {
        log(`server log tail:\n${readFileSync(join(tmp, 'server.log'), 'utf8').split('\n').slice(-20).join('\n')}`);
      } catch {
        // no log
      }
    }
    await cleanup();
    process.exit(1);
  });
