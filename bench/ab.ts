// npm run bench -- --ab <dirA> <dirB> [...] [--rounds 10] [--duration 10] [--warmup 2] [--connections 32]
//
// Interleaved A/B comparison of builds: on this 2-core machine two runs of the same build differ by about
// ±0.1 in their ratio to the baseline, so builds are compared round by round instead of one after the
// other. Each directory is a checkout with node_modules (built when its dist is stale, unless --no-build),
// snapshotted like the full run's build. One PostgreSQL database is migrated and seeded once (by this
// checkout), and every build gets its own copy of it (CREATE DATABASE ... TEMPLATE), which its server
// migrates further on start if it has newer migrations. Then, for each round: the bare baseline, then each
// build's freshly started and warmed server, in an order rotated by one every round; GET-by-id at 32
// connections. Reports per build the medians over the rounds of the ratio to that round's baseline, rps,
// server CPU per request and p99, and the median per-round difference of its ratio to the first build's.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { buildInfo, ensureBuild, serverEntryOf, snapshotBuild } from './build.js';
import { log, round } from './lib.js';
import { SCENARIOS, type Measurement, type Target } from './load.js';
import { calibrate, machineInfo, waitQuiet } from './machine.js';
import { PairedRuns } from './measure.js';
import { LOCAL_ADMIN_URL, assertLoopback, serverVersion } from './postgres.js';
import { pinSelf, runBounded, stopAllProcesses } from './processes.js';
import { fmt, writeResult, type Row } from './report.js';
import {
  createPostgresDatabase,
  databaseMonitor,
  seedPostgres,
  startBaseline,
  startServer,
  warmupServer,
  type PostgresBench,
} from './setup.js';

export interface AbOptions {
  rounds: number;
  /** Measured seconds per run, and the autocannon warm-up before it (not recorded). */
  duration: number;
  warmup: number;
  /** Seconds of GET-by-id at 8 connections that settle each freshly started server. */
  warmupServerS: number;
  connections: number;
  build: 'auto' | 'always' | 'never';
  json: boolean;
  waitQuiet?: number;
}

interface Variant {
  label: string;
  dir: string;
  build: ReturnType<typeof buildInfo>;
  snapshot: ReturnType<typeof snapshotBuild>;
  db?: PostgresBench;
  rows: Row[];
}

const SERVER_CORE = 1;
const LOADGEN_CORE = 0;

/** `list` rotated left by `by`: round r starts with the r-th build. */
const rotate = <T>(list: T[], by: number) => list.map((_, i) => list[(i + by) % list.length]!);

export function runAb(dirs: string[], options: AbOptions) {
  if (dirs.length === 0) throw new Error('--ab needs at least one checkout directory: npm run bench -- --ab <dirA> <dirB>');
  if (!(options.rounds >= 1) || !(options.connections >= 1)) throw new Error('--rounds and --connections must be positive numbers');
  const variants: Variant[] = [];
  const baselineRuns: Measurement[] = [];
  const databases: PostgresBench[] = [];
  let admin: pg.Client | undefined;
  let tmp: string | undefined;
  let cleaning: Promise<void> | undefined;
  const startedAt = new Date();

  const cleanup = () =>
    (cleaning ??= (async () => {
      await stopAllProcesses();
      await admin?.end().catch(() => {});
      for (const db of databases) await db.drop().catch((err) => log(`cleanup: could not drop ${db.name}: ${(err as Error).message}`));
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      for (const v of variants) v.snapshot.remove();
    })());

  async function main() {
    if (options.waitQuiet) log(`ab: 1-minute load average ${await waitQuiet(1.5, options.waitQuiet)} when starting`);
    const pinned = pinSelf(LOADGEN_CORE);
    const calibration = { start: calibrate(SERVER_CORE), end: null as number | null };
    log(
      `ab: ${dirs.length} build(s), ${options.rounds} rounds of get-by-id at ${options.connections} connections, ${options.duration} s per run ` +
        `(+${options.warmup} s warm-up, ${options.warmupServerS} s server warm-up); ${pinned ? 'pinned' : 'no pinning (taskset unavailable)'}; budget ${budgetS} s`,
    );
    for (const [i, d] of dirs.entries()) {
      const dir = resolve(d);
      if (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'node_modules')))
        throw new Error(`${dir} is not a checkout with node_modules`);
      ensureBuild(options.build, dir);
      if (!existsSync(serverEntryOf(dir))) throw new Error(`${serverEntryOf(dir)} does not exist (build it, or drop --no-build)`);
      const label = String.fromCharCode(65 + i);
      const build = buildInfo(dir);
      variants.push({ label, dir, build, snapshot: snapshotBuild(dir), rows: [] });
      log(
        `ab: ${label} = ${dir}: commit ${build.commit ?? '(not a git checkout)'}${build.uncommittedServerChanges ? ' + uncommitted server changes' : ''}, dist/server ${build.distServerSha256}`,
      );
    }

    const adminUrl = process.env.DATABASE_URL ?? LOCAL_ADMIN_URL;
    assertLoopback(adminUrl);
    tmp = mkdtempSync(join(tmpdir(), 'alumia-bench-ab-'));
    const base = await createPostgresDatabase(adminUrl, { suffix: 'ab' });
    databases.push(base);
    log(`ab: database ${base.name}; migrating and seeding ...`);
    const seed = await seedPostgres(base.url);
    log(`ab: seeded in ${seed.ms} ms; one copy per build`);
    for (const v of variants) {
      v.db = await createPostgresDatabase(adminUrl, { suffix: `ab_${v.label.toLowerCase()}`, template: base.name });
      databases.push(v.db);
    }
    const baseline = await startBaseline({
      url: base.url,
      orgId: seed.orgId,
      workspaceId: seed.mainWorkspaceId,
      core: SERVER_CORE,
      logFile: join(tmp, 'baseline.log'),
    });
    admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    // GET-by-id needs neither the deep cursor nor the wrong keys.
    const target: Target = { seed, deepCursor: '', wrongKeys: [] };
    const paired = new PairedRuns({ duration: options.duration, warmup: options.warmup });

    for (let r = 0; r < options.rounds; r++) {
      const order = rotate(variants, r);
      log(`round ${r + 1}/${options.rounds}: baseline, ${order.map((v) => v.label).join(', ')}`);
      paired.pg = databaseMonitor(admin, base.name);
      baselineRuns.push(await paired.baseline(baseline, target, 'get-by-id', options.connections));
      for (const v of order) {
        const server = await startServer({
          db: { url: v.db!.url },
          core: SERVER_CORE,
          logFile: join(tmp, `server-${v.label}.log`),
          entry: v.snapshot.entry,
        });
        try {
          paired.pg = databaseMonitor(admin, v.db!.name);
          await warmupServer(server, target, options.warmupServerS);
          v.rows.push(
            await paired.scenario(
              'postgres',
              server,
              target,
              { ...SCENARIOS[0]!, name: `get-by-id [${v.label}]` },
              options.connections,
              false,
            ),
          );
        } finally {
          await server.stop();
        }
      }
    }
    await baseline.stop();
    calibration.end = calibrate(SERVER_CORE);

    // The median proper (the mean of the middle two for an even count of rounds), not report.ts's lower one.
    const med = (list: Array<number | null>) => {
      const v = list.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
      if (v.length === 0) return null;
      const mid = v.length / 2;
      return round(Number.isInteger(mid) ? (v[mid - 1]! + v[mid]!) / 2 : v[Math.floor(mid)]!, 3);
    };
    const first = variants[0]!;
    const summary = variants.map((v) => {
      const ratios = v.rows.map((row) => row.ratio).filter((x): x is number => x !== null);
      return {
        label: v.label,
        dir: v.dir,
        build: v.build,
        rounds: v.rows.length,
        ratio: med(ratios),
        ratioMin: ratios.length ? Math.min(...ratios) : null,
        ratioMax: ratios.length ? Math.max(...ratios) : null,
        rps: med(v.rows.map((row) => row.rps)),
        p99: med(v.rows.map((row) => row.p99)),
        serverCpuUsPerReq: med(v.rows.map((row) => row.serverCpuUsPerReq)),
        pgCpuUsPerReq: med(v.rows.map((row) => row.pgCpuUsPerReq)),
        // Paired per round: this build's ratio minus the first build's in the same round.
        ratioVsFirst:
          v === first
            ? null
            : med(
                v.rows.map((row, i) =>
                  row.ratio !== null && first.rows[i]?.ratio != null ? round(row.ratio - first.rows[i].ratio, 3) : null,
                ),
              ),
        errors: v.rows.reduce((n, row) => n + row.errors + row.timeouts, 0),
        unexpected: v.rows.reduce((n, row) => n + row.unexpected, 0),
        perRound: v.rows.map((row) => ({
          rps: row.rps,
          ratio: row.ratio,
          p99: row.p99,
          serverCpuUsPerReq: row.serverCpuUsPerReq,
          pgCpuUsPerReq: row.pgCpuUsPerReq,
          otherCpuPct: row.otherCpuPct,
        })),
      };
    });
    const baselineSummary = {
      rps: med(baselineRuns.map((m) => m.rps)),
      p99: med(baselineRuns.map((m) => m.p99)),
      serverCpuUsPerReq: med(baselineRuns.map((m) => m.serverCpuUsPerReq)),
      pgCpuUsPerReq: med(baselineRuns.map((m) => m.pgCpuUsPerReq)),
      perRound: baselineRuns.map((m) => ({ rps: m.rps, p99: m.p99, serverCpuUsPerReq: m.serverCpuUsPerReq, otherCpuPct: m.otherCpuPct })),
    };

    const header = ['variant', 'ratio', 'min-max', `vs ${first.label}`, 'rps', 'p99 ms', 'CPU us/req srv+pg', 'errors', 'build'];
    const table = [
      [
        'baseline',
        '1.00',
        '',
        '',
        fmt(baselineSummary.rps, 0),
        fmt(baselineSummary.p99),
        `${fmt(baselineSummary.serverCpuUsPerReq, 0)}+${fmt(baselineSummary.pgCpuUsPerReq, 0)}`,
        '',
        'bench/baseline.ts (express 5 + pg)',
      ],
      ...summary.map((s) => [
        s.label,
        fmt(s.ratio),
        `${fmt(s.ratioMin)}-${fmt(s.ratioMax)}`,
        s.ratioVsFirst === null ? '' : `${s.ratioVsFirst >= 0 ? '+' : ''}${fmt(s.ratioVsFirst, 3)}`,
        fmt(s.rps, 0),
        fmt(s.p99),
        `${fmt(s.serverCpuUsPerReq, 0)}+${fmt(s.pgCpuUsPerReq, 0)}`,
        String(s.errors + s.unexpected),
        `${s.dir} @ ${s.build.commit ?? '(not a git checkout)'}${s.build.uncommittedServerChanges ? '+dirty' : ''} (dist ${s.build.distServerSha256})`,
      ]),
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ')
        .trimEnd();
    process.stdout.write(
      [
        '',
        `A/B: get-by-id at ${options.connections} connections, ${options.rounds} interleaved rounds (${options.duration} s per run); medians over the rounds`,
        '',
        line(header),
        widths.map((w) => '-'.repeat(w)).join('  '),
        ...table.map(line),
        '',
        "ratio = rps / the same round's baseline rps (min-max over the rounds); vs A = median over the rounds of (ratio - A's ratio in that round);",
        'CPU us/req = user+sys CPU per request of the server process + of the PostgreSQL backends of its database; errors include unexpected statuses.',
        `machine speed index (CPU ms of a fixed task on core ${SERVER_CORE}; lower is faster): ${calibration.start} at the start, ${calibration.end} at the end`,
        '',
      ].join('\n') + '\n',
    );

    const result = {
      mode: 'ab',
      scenario: 'get-by-id',
      connections: options.connections,
      rounds: options.rounds,
      baseline: baselineSummary,
      variants: summary,
      machine: {
        ...machineInfo(),
        calibrationCpuMs: calibration,
        postgres: await serverVersion(adminUrl),
        serverCore: SERVER_CORE,
        loadGeneratorCore: LOADGEN_CORE,
      },
      date: startedAt.toISOString(),
      options: {
        durationS: options.duration,
        warmupS: options.warmup,
        serverWarmupS: options.warmupServerS,
        dirs: variants.map((v) => v.dir),
      },
      wallS: round((Date.now() - startedAt.getTime()) / 1000, 0),
    };
    log(`results: ${writeResult(result, startedAt, hostname(), ['ab'])}`);
    if (options.json) process.stdout.write(JSON.stringify(result) + '\n');
  }

  // Bounded: builds (when they may run), seeding, and every run with a generous margin for server starts.
  const perRound = (1 + dirs.length) * (options.duration + options.warmup + 5) + dirs.length * (options.warmupServerS + 30);
  const budgetS = Math.round(600 + (options.build === 'never' ? 0 : dirs.length * 600) + options.rounds * perRound * 1.5);
  runBounded('ab', main, { budgetS, cleanup });
}
