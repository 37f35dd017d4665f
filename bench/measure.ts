// Paired measurement runs: a baseline run (bench/baseline.ts) remembered per kind and connection count, and
// a scenario run on the real server turned into a table row with its ratio to the latest such baseline.
// The full bench (run.ts) and the A/B mode (ab.ts) both measure through this.
import { log, round } from './lib.js';
import { SCENARIOS, drive, probe, type BaselineKind, type Measurement, type Scenario, type Target } from './load.js';
import { fmt, type Row } from './report.js';
import type { RunningServer } from './setup.js';

export interface BaselineRun {
  kind: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  serverCpuUsPerReq: number | null;
  pgCpuUsPerReq: number | null;
  otherCpuPct: number | null;
  errors: number;
  non2xx: number;
}

export class PairedRuns {
  /** Recorded scenario rows, in the order run. */
  readonly rows: Row[] = [];
  /** The latest baseline run, by `${kind}@${connections}`. */
  readonly baselines = new Map<string, Measurement>();
  readonly baselineRuns: BaselineRun[] = [];
  /** The PostgreSQL database being measured (its backends' CPU and its counters), while there is one. */
  pg: { backends: () => Promise<number[]>; stats: () => Promise<{ xact: number; rows: number }> } | undefined;

  constructor(private readonly timing: { duration: number; warmup: number }) {}

  async baseline(baseline: RunningServer, target: Target, kind: BaselineKind, connections: number): Promise<Measurement> {
    const scenario = SCENARIOS.find((s) => s.name === kind)!;
    const m = await drive({
      url: baseline.url,
      connections,
      duration: this.timing.duration,
      warmup: this.timing.warmup,
      make: scenario.request(target),
      expect: [200],
      serverPid: baseline.proc.pid,
      pgBackends: this.pg?.backends,
      pgStats: this.pg?.stats,
    });
    this.baselines.set(`${kind}@${connections}`, m);
    this.baselineRuns.push({
      kind,
      connections,
      rps: m.rps,
      p50: m.p50,
      p99: m.p99,
      serverCpuUsPerReq: m.serverCpuUsPerReq,
      pgCpuUsPerReq: m.pgCpuUsPerReq,
      otherCpuPct: m.otherCpuPct,
      errors: m.errors + m.timeouts,
      non2xx: m.non2xx,
    });
    log(
      `  baseline ${kind.padEnd(34)} c=${String(connections).padEnd(3)} ${fmt(m.rps, 0).padStart(7)} rps  p50 ${fmt(m.p50)}  p99 ${fmt(m.p99)} ms  ` +
        `non2xx ${m.non2xx}  CPU/req ${m.serverCpuUsPerReq} us + pg ${m.pgCpuUsPerReq} us  xact/req ${m.pgXactPerReq}  other load ${m.otherCpuPct}%`,
    );
    return m;
  }

  async scenario(
    db: 'postgres' | 'embedded',
    server: RunningServer,
    target: Target,
    scenario: Scenario,
    connections: number,
    record = true,
  ): Promise<Row> {
    const make = scenario.request(target);
    const first = await probe(server.url, make()).catch((err: Error) => ({ status: 0, body: err.message }));
    const probeNote = scenario.expect.includes(first.status) ? undefined : `probe answered ${first.status}: ${first.body.slice(0, 300)}`;
    if (probeNote) log(`  ! ${scenario.name}: ${probeNote}`);
    const m = await drive({
      url: server.url,
      connections,
      duration: this.timing.duration,
      warmup: this.timing.warmup,
      make,
      expect: scenario.expect,
      serverPid: server.proc.pid,
      collectSlugs: scenario.creates,
      pgBackends: db === 'postgres' ? this.pg?.backends : undefined,
      pgStats: db === 'postgres' ? this.pg?.stats : undefined,
    });
    const base = this.baselines.get(`${scenario.baseline}@${connections}`) ?? null;
    const baselineOf =
      db === 'embedded'
        ? `PostgreSQL baseline, ${scenario.baseline} (no bare baseline exists for the embedded database)`
        : scenario.natural
          ? 'same query, bare express + pg'
          : `${scenario.baseline} baseline (no natural baseline)`;
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
    if (record) this.rows.push(row);
    log(
      `  ${db.padEnd(8)} ${scenario.name.padEnd(34)} c=${String(connections).padEnd(3)} ${fmt(m.rps, 0).padStart(7)} rps  p50 ${fmt(m.p50)}  p99 ${fmt(m.p99)} ms  ` +
        `ratio ${row.ratio ?? '-'}  non2xx ${m.non2xx} unexpected ${m.unexpected} errors ${m.errors + m.timeouts}  RSS ${m.rssMb} MB  ` +
        `CPU/req ${m.serverCpuUsPerReq} us + pg ${m.pgCpuUsPerReq ?? '-'} us  xact/req ${m.pgXactPerReq ?? '-'} rows/req ${m.pgRowsReadPerReq ?? '-'}  ` +
        `other load ${m.otherCpuPct}%  srv wait ${m.serverWaitPct}%`,
    );
    return row;
  }
}
