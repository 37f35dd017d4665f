// npm run bench [-- --quick] [-- --json] ... : see bench/README.md.
//
// Builds (or reuses) dist, creates a fresh PostgreSQL database and seeds it with SQL, starts the built
// server (NODE_ENV=production) and the bare express + pg baseline as child processes pinned to core 1,
// pins this process (the load generator) to core 0, and drives every scenario with autocannon at each
// connection count. Then the same on the embedded database. Prints a table (ratios first) and writes
// bench/results/<date>-<host>.json (bench/report.ts). Everything it starts or creates is removed on the
// way out. `--ab <dir> <dir> ...` runs the interleaved comparison of builds instead (bench/ab.ts), `--chat` the
// chat targets (bench/chat.ts), `--mission-control` the mission control targets (bench/mission-control.ts),
// `--login-timing` failed-login timings (bench/login-timing.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { runAb } from './ab.js';
import { runChat } from './chat.js';
import { runLoginTiming } from './login-timing.js';
import { runMissionControl } from './mission-control.js';
import { buildInfo, ensureBuild, snapshotBuild } from './build.js';
import { ROOT, log, round } from './lib.js';
import { SCENARIOS } from './load.js';
import { calibrate, machineInfo, rssMb, waitQuiet } from './machine.js';
import { explainQueries, type PlanSummary } from './plans.js';
import { LOCAL_ADMIN_URL, assertLoopback, serverVersion } from './postgres.js';
import { pinSelf, runBounded, stopAllProcesses, taskset } from './processes.js';
import { evaluateTargets, meanRow, median, printPlans, printTable, scenarioJson, variantDeltas, writeResult, type Row } from './report.js';
import { PairedRuns } from './measure.js';
import type { SeedInfo } from './seed.js';
import {
  createPostgresDatabase,
  databaseChecks,
  databaseMonitor,
  measureStartup,
  prepareTarget,
  seedEmbedded,
  seedPostgres,
  startBaseline,
  startServer,
  useServerEntry,
  warmupServer,
  type PostgresBench,
} from './setup.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    only: { type: 'string' },
    embedded: { type: 'boolean', default: true },
    'no-embedded': { type: 'boolean', default: false },
    build: { type: 'string', default: 'auto' },
    'no-build': { type: 'boolean', default: false },
    'deep-pages': { type: 'string', default: '150' },
    pair: { type: 'string', default: 'all' },
    'wait-quiet': { type: 'string' },
    ab: { type: 'boolean', default: false },
    // No default here: --ab defaults to 10 rounds, --chat to 2.
    rounds: { type: 'string' },
    chat: { type: 'boolean', default: false },
    'mission-control': { type: 'boolean', default: false },
    'login-timing': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    streams: { type: 'string', default: '1000' },
    hold: { type: 'string', default: '10' },
    ramp: { type: 'string', default: '0' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(readFileSync(join(ROOT, 'bench', 'README.md'), 'utf8'));
  process.exit(0);
}
if (!args.ab && positionals.length > 0) throw new Error(`unexpected arguments ${positionals.join(' ')} (directories go after --ab)`);

const QUICK = args.quick;
const DURATION = Number(args.duration ?? (QUICK ? 2 : 10));
const WARMUP = Number(args.warmup ?? (QUICK ? 0.5 : 2));
/** Seconds of GET-by-id that settle each freshly started server before it is measured. */
const WARMUP_SERVER_S = QUICK ? 1 : 3;
const CONNECTIONS_ARG = args.connections ?? '1,32';
const CONNECTIONS = CONNECTIONS_ARG.split(',')
  .map(Number)
  .filter((n) => n > 0);
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

const paired = new PairedRuns({ duration: DURATION, warmup: WARMUP });
const rows = paired.rows;
const startedAt = new Date();
let tmp: string | undefined;
let pgBench: PostgresBench | undefined;
let cleaning: Promise<void> | undefined;
let pgAdmin: pg.Client | undefined;
let builtWith: ReturnType<typeof buildInfo> | undefined;
let snapshot: ReturnType<typeof snapshotBuild> | undefined;
const calibration: { start: number | null; end: number | null } = { start: null, end: null };

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

// Every run is bounded: the whole bench gets its expected time plus a margin, then stops itself.
const perRun = DURATION + WARMUP + 5;
const runCount =
  scenarios.length * CONNECTIONS.length * (EMBEDDED ? 2 : 1) +
  (PAIR_ALL ? scenarios.length : scenarios.filter((s) => s.natural).length) * CONNECTIONS.length +
  (runVariants ? (VARIANTS.length * VARIANT_REPS + 1) * CONNECTIONS.length : 0);
const budgetS = Math.round(runCount * perRun * 1.5 + 900);

async function main() {
  if (args['wait-quiet']) {
    const load = await waitQuiet(1.5, Number(args['wait-quiet']));
    log(`bench: 1-minute load average ${load} when starting`);
  }
  const pinned = pinSelf(LOADGEN_CORE);
  calibration.start = calibrate(SERVER_CORE);
  log(
    `bench: ${QUICK ? 'quick' : 'full'} run, ${DURATION} s per scenario (+${WARMUP} s warm-up), connections ${CONNECTIONS.join(' and ')}, ` +
      `${pinned ? `load generator pinned to core ${LOADGEN_CORE}, servers to core ${SERVER_CORE}` : 'no pinning (taskset unavailable)'}; budget ${budgetS} s`,
  );
  ensureBuild(BUILD);
  builtWith = buildInfo();
  snapshot = snapshotBuild();
  useServerEntry(snapshot.entry);
  log(
    `build: commit ${builtWith.commit}${builtWith.uncommittedServerChanges ? ' + uncommitted server changes' : ''}, dist/server ${builtWith.distServerSha256}`,
  );

  const adminUrl = process.env.DATABASE_URL ?? LOCAL_ADMIN_URL;
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
  log(
    `postgres: server ready in ${round(pgServer.readyMs, 0)} ms (migrated database), pid ${pgServer.proc.pid}, RSS ${rssMb(pgServer.proc.pid)} MB`,
  );
  const baseline = await startBaseline({
    url: pgBench.url,
    orgId: pgSeed.orgId,
    workspaceId: pgSeed.mainWorkspaceId,
    core: SERVER_CORE,
    logFile: join(tmp, 'baseline.log'),
  });
  pgAdmin = new pg.Client({ connectionString: adminUrl });
  await pgAdmin.connect();
  paired.pg = databaseMonitor(pgAdmin, pgBench.name);
  const pgTarget = await prepareTarget(pgServer, pgSeed, DEEP_PAGES);
  const plans = await explainQueries(pgBench.url, pgSeed, pgTarget.deepCursor).catch((err: Error) => {
    log(`plans: skipped (${err.message})`);
    return [] as PlanSummary[];
  });
  printPlans(plans);
  await warmupServer(pgServer, pgTarget, WARMUP_SERVER_S);

  let server = pgServer;
  for (const scenario of scenarios) {
    for (const connections of CONNECTIONS) {
      if (scenario.natural || PAIR_ALL || !paired.baselines.has(`${scenario.baseline}@${connections}`)) {
        await paired.baseline(baseline, pgTarget, scenario.baseline, connections);
      }
      await paired.scenario('postgres', server, pgTarget, scenario, connections);
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
    for (const connections of CONNECTIONS) await paired.baseline(baseline, pgTarget, 'get-by-id', connections);
    const runs = new Map<string, Row[]>();
    for (let rep = 0; rep < VARIANT_REPS; rep++) {
      for (const variant of rep % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
        server = await startServer({ db: { url: pgBench.url }, core: SERVER_CORE, logFile: serverLog, env: variant.env });
        await warmupServer(server, pgTarget, WARMUP_SERVER_S);
        for (const connections of CONNECTIONS) {
          const row = await paired.scenario('postgres', server, pgTarget, { ...SCENARIOS[0]!, name: variant.label }, connections, false);
          const key = `${variant.label}@${connections}`;
          runs.set(key, [...(runs.get(key) ?? []), row]);
        }
        await server.stop();
      }
    }
    for (const variant of VARIANTS) for (const connections of CONNECTIONS) rows.push(meanRow(runs.get(`${variant.label}@${connections}`)!));
  }
  await baseline.stop();
  paired.pg = undefined;
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
    const emTarget = await prepareTarget(emServer, embeddedSeed, DEEP_PAGES);
    await warmupServer(emServer, emTarget, WARMUP_SERVER_S);
    for (const scenario of scenarios) {
      for (const connections of CONNECTIONS) await paired.scenario('embedded', emServer, emTarget, scenario, connections);
    }
    await emServer.stop();
  }

  // -------------------------------------------------------------------------------------------------- report
  calibration.end = calibrate(SERVER_CORE);
  const targets = evaluateTargets(rows, { connections: CONNECTIONS, embedded: EMBEDDED }, startup);
  const variantEffects = runVariants
    ? variantDeltas(
        rows,
        VARIANTS.map((v) => v.label),
        CONNECTIONS,
      )
    : [];
  const result = {
    scenarios: rows.map(scenarioJson),
    baselineRuns: paired.baselineRuns,
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
    seed: {
      postgres: pgSeed.counts,
      embedded: embeddedSeed?.counts ?? null,
      seedMs: { postgres: pgSeed.ms, embedded: embeddedSeed?.ms ?? null },
    },
    machine: {
      ...machineInfo(),
      calibrationCpuMs: calibration,
      postgres: await serverVersion(adminUrl),
      pinned: taskset() !== null,
      serverCore: SERVER_CORE,
      loadGeneratorCore: LOADGEN_CORE,
    },
    build: builtWith,
    date: startedAt.toISOString(),
    options: {
      quick: QUICK,
      durationS: DURATION,
      warmupS: WARMUP,
      connections: CONNECTIONS,
      only: ONLY ? [...ONLY] : null,
      embedded: EMBEDDED,
      deepPages: DEEP_PAGES,
      serverEnv:
        'NODE_ENV=production, AUTH_FAILURE_LIMIT_PER_MINUTE=1000000, defaults otherwise (pool 10, LOG_LEVEL info to a file, response validation on)',
    },
    wallS: round((Date.now() - startedAt.getTime()) / 1000, 0),
  };
  printTable(rows, result.startupMs, targets, variantEffects, { variantReps: VARIANT_REPS, serverCore: SERVER_CORE, calibration });
  // A partial run (--only, --connections, --no-embedded) or a quick one never overwrites a full run's file.
  const partial = ONLY || !EMBEDDED || CONNECTIONS_ARG !== '1,32';
  const file = writeResult(result, startedAt, result.machine.hostname, [...(QUICK ? ['quick'] : []), ...(partial ? ['partial'] : [])]);
  log(`results: ${file}`);
  if (args.json) process.stdout.write(JSON.stringify(result) + '\n');
}

if (args.ab) {
  runAb(positionals, {
    rounds: Number(args.rounds ?? 10),
    duration: DURATION,
    warmup: WARMUP,
    warmupServerS: WARMUP_SERVER_S,
    connections: Number(args.connections ?? 32),
    build: BUILD,
    json: args.json,
    waitQuiet: args['wait-quiet'] ? Number(args['wait-quiet']) : undefined,
  });
} else if (args['login-timing']) {
  runLoginTiming({ rounds: Number(args.rounds ?? 30), json: args.json }).catch((err: unknown) => {
    log(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  });
} else if (args['mission-control']) {
  runMissionControl({ quick: QUICK, json: args.json, rounds: Number(args.rounds ?? (QUICK ? 2 : 4)) });
} else if (args.chat) {
  runChat({
    rounds: Number(args.rounds ?? (QUICK ? 1 : 2)),
    duration: DURATION,
    warmup: WARMUP,
    warmupServerS: WARMUP_SERVER_S,
    connections: Number(args.connections ?? 32),
    streams: Number(args.streams),
    holdS: Number(args.hold),
    rampS: Number(args.ramp),
    ttftRequests: QUICK ? 100 : 300,
    build: BUILD,
    json: args.json,
    quick: QUICK,
    profile: args.profile,
    waitQuiet: args['wait-quiet'] ? Number(args['wait-quiet']) : undefined,
  });
} else {
  runBounded('bench', main, {
    budgetS,
    cleanup,
    onFailure: () => {
      if (!tmp) return;
      try {
        log(`server log tail:\n${readFileSync(join(tmp, 'server.log'), 'utf8').split('\n').slice(-20).join('\n')}`);
      } catch {
        // no log
      }
    },
  });
}
