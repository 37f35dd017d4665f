// Reporting of the full bench (bench/run.ts): the rows it measured, the mean of repeated variant runs, the
// issue's targets, each variant against its control, the table and the plans it prints, and the result JSON
// it writes to bench/results.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, log, round } from './lib.js';
import type { Measurement } from './load.js';
import type { PlanSummary } from './plans.js';

export interface Row extends Measurement {
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

export interface TargetCheck {
  target: string;
  value: string;
  pass: boolean | null;
}

export type VariantDelta = {
  variant: string;
  connections: number;
  rps: number;
  controlRps: number;
  deltaRpsPct: number;
  cpuUsPerReq: number | null;
  controlCpuUsPerReq: number | null;
  deltaCpuUsPerReq: number | null;
};

export const fmt = (n: number | null | undefined, digits = 2) =>
  n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
export const pct = (r: number | null) => (r === null ? '-' : `${Math.round(r * 100)}%`);
export function median(list: number[]) {
  const s = [...list].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
}

/** The mean of repeated runs of one scenario (counts summed), with the ratio recomputed. */
export function meanRow(list: Row[]): Row {
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
    rps,
    p50: avg((r) => r.p50)!,
    p90: avg((r) => r.p90)!,
    p99: avg((r) => r.p99)!,
    mean: avg((r) => r.mean)!,
    max: Math.max(...list.map((r) => r.max)),
    rssMb: avg((r) => r.rssMb),
    serverCpuUsPerReq: avg((r) => r.serverCpuUsPerReq),
    pgCpuUsPerReq: avg((r) => r.pgCpuUsPerReq),
    otherCpuPct: avg((r) => r.otherCpuPct),
    serverWaitPct: avg((r) => r.serverWaitPct),
    loadgenWaitPct: avg((r) => r.loadgenWaitPct),
    requests: sum((r) => r.requests),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    non2xx: sum((r) => r.non2xx),
    unexpected: sum((r) => r.unexpected),
    statusCodes,
    baselineRps,
    baselineP50: avg((r) => r.baselineP50),
    baselineP99: avg((r) => r.baselineP99),
    baselineCpuUsPerReq: avg((r) => r.baselineCpuUsPerReq),
    baselinePgCpuUsPerReq: avg((r) => r.baselinePgCpuUsPerReq),
    baselinePgXactPerReq: avg((r) => r.baselinePgXactPerReq),
    pgXactPerReq: avg((r) => r.pgXactPerReq),
    pgRowsReadPerReq: avg((r) => r.pgRowsReadPerReq),
    ratio: baselineRps ? round(rps / baselineRps, 3) : null,
    repeats: list.length,
  };
}

export function evaluateTargets(
  rows: Row[],
  options: { connections: number[]; embedded: boolean },
  startup: { fresh: number; migrated: number[] } | undefined,
): TargetCheck[] {
  const get = (scenario: string, c: number, db = 'postgres') =>
    rows.find((r) => r.db === db && r.scenario === scenario && r.connections === c);
  const hi = Math.max(...options.connections);
  const lo = Math.min(...options.connections);
  const checks: TargetCheck[] = [];
  const add = (target: string, value: string, pass: boolean | null) => checks.push({ target, value, pass });
  for (const db of ['postgres', ...(options.embedded ? ['embedded'] : [])]) {
    const byId = get('get-by-id', hi, db);
    if (byId) {
      add(
        `${db}: GET by id >= 60% of baseline rps at ${hi} conn`,
        `${pct(byId.ratio)} (${fmt(byId.rps, 0)} vs ${fmt(byId.baselineRps ?? NaN, 0)} rps)`,
        byId.ratio !== null ? byId.ratio >= 0.6 : null,
      );
      add(`${db}: GET by id p99 < 20 ms at ${hi} conn`, `${fmt(byId.p99)} ms`, byId.p99 < 20);
    }
    for (const name of ['list-first', 'list-deep']) {
      const l = get(name, lo, db);
      if (l) add(`${db}: ${name} p50 < 5 ms at ${lo} conn`, `${fmt(l.p50)} ms`, l.p50 < 5);
    }
    const c = get('create', hi, db);
    if (c) {
      const slugsOk = !c.createdSlugs || c.createdSlugs.answered === c.createdSlugs.distinct;
      add(
        `${db}: create p99 < 30 ms at ${hi} conn, zero errors, unique slugs`,
        `${fmt(c.p99)} ms, ${c.errors + c.timeouts} errors, ${c.unexpected} unexpected statuses, ${c.createdSlugs?.distinct ?? '?'}/${c.createdSlugs?.answered ?? '?'} distinct slugs`,
        c.p99 < 30 && c.errors + c.timeouts === 0 && c.unexpected === 0 && slugsOk,
      );
    }
    const w = get('wrong-key-401', hi, db);
    if (w && byId) {
      const r = w.rps / byId.rps;
      add(
        `${db}: wrong-key 401 >= 90% of GET-by-id rps at ${hi} conn`,
        `${pct(r)} (${fmt(w.rps, 0)} vs ${fmt(byId.rps, 0)} rps, ${w.unexpected} non-401)`,
        r >= 0.9 && w.unexpected === 0,
      );
    }
    const mixed = get('mixed-80r-20w', hi, db);
    if (mixed) add(`${db}: RSS < 200 MB after the mixed run`, `${mixed.rssMb} MB`, mixed.rssMb !== null ? mixed.rssMb < 200 : null);
  }
  if (startup)
    add(
      'embedded: startup to /readyz on a migrated data dir < 1.5 s',
      `${fmt(median(startup.migrated), 0)} ms (fresh dir: ${fmt(startup.fresh, 0)} ms)`,
      median(startup.migrated) < 1500,
    );
  const errs = rows.filter((r) => r.errors + r.timeouts > 0 || r.unexpected > 0);
  add(
    'zero errors and only expected statuses in every scenario',
    errs.length === 0
      ? 'none'
      : errs
          .map((r) => `${r.name}: ${r.errors + r.timeouts} errors, ${r.unexpected} unexpected ${JSON.stringify(r.statusCodes)}`)
          .join('; '),
    errs.length === 0,
  );
  return checks;
}

/** Each variant (scenario label) against the control, labels[0]: throughput and server CPU per request. */
export function variantDeltas(rows: Row[], labels: string[], connectionCounts: number[]): VariantDelta[] {
  const out: VariantDelta[] = [];
  for (const label of labels.slice(1)) {
    for (const connections of connectionCounts) {
      const v = rows.find((r) => r.scenario === label && r.connections === connections);
      const c = rows.find((r) => r.scenario === labels[0] && r.connections === connections);
      if (!v || !c) continue;
      out.push({
        variant: label,
        connections,
        rps: v.rps,
        controlRps: c.rps,
        deltaRpsPct: round(((v.rps - c.rps) / c.rps) * 100, 1),
        cpuUsPerReq: v.serverCpuUsPerReq,
        controlCpuUsPerReq: c.serverCpuUsPerReq,
        deltaCpuUsPerReq:
          v.serverCpuUsPerReq !== null && c.serverCpuUsPerReq !== null ? round(v.serverCpuUsPerReq - c.serverCpuUsPerReq, 0) : null,
      });
    }
  }
  return out;
}

/** A row as it goes into the result JSON's `scenarios`. */
export function scenarioJson(r: Row) {
  return {
    name: r.name,
    db: r.db,
    scenario: r.scenario,
    connections: r.connections,
    rps: r.rps,
    p50: r.p50,
    p99: r.p99,
    baselineRps: r.baselineRps,
    ratio: r.ratio,
    rssMb: r.rssMb,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    unexpected: r.unexpected,
    statusCodes: r.statusCodes,
    p90: r.p90,
    mean: r.mean,
    max: r.max,
    requests: r.requests,
    baselineP50: r.baselineP50,
    baselineP99: r.baselineP99,
    baselineOf: r.baselineOf,
    serverCpuUsPerReq: r.serverCpuUsPerReq,
    pgCpuUsPerReq: r.pgCpuUsPerReq,
    baselineCpuUsPerReq: r.baselineCpuUsPerReq,
    baselinePgCpuUsPerReq: r.baselinePgCpuUsPerReq,
    pgXactPerReq: r.pgXactPerReq,
    pgRowsReadPerReq: r.pgRowsReadPerReq,
    baselinePgXactPerReq: r.baselinePgXactPerReq,
    otherCpuPct: r.otherCpuPct,
    serverWaitPct: r.serverWaitPct,
    loadgenWaitPct: r.loadgenWaitPct,
    loadAvg: r.loadAvg,
    ...(r.createdSlugs ? { createdSlugs: r.createdSlugs } : {}),
    ...(r.probe ? { probe: r.probe } : {}),
    ...(r.repeats ? { repeats: r.repeats } : {}),
  };
}

/**
 * Writes the result to bench/results/<date>-<host>[.<suffix>...].json and returns the path; `suffixes`
 * keep quick and partial runs from overwriting a full run's file.
 */
export function writeResult(result: object, date: Date, host: string, suffixes: string[]): string {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${date.toISOString().slice(0, 10)}-${host}${suffixes.map((s) => `.${s}`).join('')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}

export function printPlans(plans: PlanSummary[]) {
  if (plans.length === 0) return;
  log('\nplans (EXPLAIN ANALYZE of the SQL the data layer sends, warm cache, PostgreSQL):');
  for (const p of plans) {
    log(
      `  ${p.name.padEnd(36)} exec ${fmt(p.executionMs, 3).padStart(7)} ms  plan ${fmt(p.planningMs, 3).padStart(6)} ms  rows read ${String(p.rowsRead).padStart(6)}  ` +
        `removed by filter ${String(p.rowsRemovedByFilter).padStart(6)}  ${p.scans.join('; ')}`,
    );
  }
  log('');
}

export function printTable(
  rows: Row[],
  startupMs: { fresh: number | null; migrated: number | null; postgresMigrated: number },
  targets: TargetCheck[],
  variants: VariantDelta[],
  machine: { variantReps: number; serverCore: number; calibration: { start: number | null; end: number | null } },
) {
  const out: string[] = [];
  const header = [
    'ratio',
    'db',
    'scenario',
    'conn',
    'rps',
    'base rps',
    'p50 ms',
    'p99 ms',
    'base p50',
    'base p99',
    'non2xx',
    'unexp',
    'errors',
    'RSS MB',
    'CPU us/req srv+pg',
    'base srv+pg',
    'pg xact/req',
    'pg rows/req',
    'other %',
    'srv wait %',
  ];
  const table = rows.map((r) => [
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}${r.db === 'embedded' ? '^' : r.baselineOf.startsWith('same') ? '' : '*'}`,
    r.db,
    r.scenario,
    String(r.connections),
    fmt(r.rps, 0),
    fmt(r.baselineRps, 0),
    fmt(r.p50),
    fmt(r.p99),
    fmt(r.baselineP50),
    fmt(r.baselineP99),
    String(r.non2xx),
    String(r.unexpected),
    String(r.errors + r.timeouts),
    fmt(r.rssMb, 0),
    `${fmt(r.serverCpuUsPerReq, 0)}+${fmt(r.pgCpuUsPerReq, 0)}`,
    `${fmt(r.baselineCpuUsPerReq, 0)}+${fmt(r.baselinePgCpuUsPerReq, 0)}`,
    fmt(r.pgXactPerReq, 1),
    fmt(r.pgRowsReadPerReq, 0),
    fmt(r.otherCpuPct, 0),
    fmt(r.serverWaitPct, 0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i <= 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  out.push('', line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...table.map(line));
  out.push(
    '',
    'ratio = rps / baseline rps at the same connection count. Baseline: bench/baseline.ts (express 5 + pg, no auth/validation/ORM/logging),',
    '  no mark = the same query; * = the GET-by-id baseline (no natural baseline); ^ = embedded run against the PostgreSQL baseline.',
    "non2xx counts every non-2xx answer (the 401 scenario expects only 401s); unexp = statuses outside the scenario's expected set.",
    'CPU us/req = user+sys CPU per request of the server process + of the PostgreSQL backends serving the bench database (embedded: all in srv);',
    '  base = the same for the baseline run. pg xact/req, rows/req: transactions and rows read by scans per request (pg_stat_database,',
    '  approximate). other % = CPU used meanwhile by everything else on the machine, in % of one core',
    "  (other users' builds and tests); srv wait % = share of the run the server's main thread waited for its core.",
    "  High values mean that row's absolute numbers are depressed by foreign load; ratios (paired runs) less so.",
    '',
    ...(variants.length
      ? [
          `variants of get-by-id vs a control on an equally warmed fresh server (${machine.variantReps === 1 ? '1 run' : `mean of ${machine.variantReps} runs, ABC then CBA`}):`,
          ...variants.map(
            (v) =>
              `  ${v.variant.padEnd(34)} c=${String(v.connections).padEnd(3)} ${fmt(v.deltaRpsPct, 1).padStart(6)}% rps (${fmt(v.rps, 0)} vs ${fmt(v.controlRps, 0)}), ` +
              `server CPU ${v.deltaCpuUsPerReq !== null && v.deltaCpuUsPerReq >= 0 ? '+' : ''}${fmt(v.deltaCpuUsPerReq, 0)} us/req (${fmt(v.cpuUsPerReq, 0)} vs ${fmt(v.controlCpuUsPerReq, 0)})`,
          ),
          '',
        ]
      : []),
    `machine speed index (CPU ms of a fixed hashing+JSON task on core ${machine.serverCore}; lower is faster): ${machine.calibration.start} at the start, ${machine.calibration.end} at the end`,
    '',
    `startup to /readyz (embedded): fresh dir ${fmt(startupMs.fresh, 0)} ms, migrated dir ${fmt(startupMs.migrated, 0)} ms (median of 3); PostgreSQL (migrated): ${fmt(startupMs.postgresMigrated, 0)} ms`,
    '',
    'targets:',
    ...targets.map((t) => `  ${t.pass === null ? '?   ' : t.pass ? 'PASS' : 'FAIL'}  ${t.target}: ${t.value}`),
    '',
  );
  process.stdout.write(out.join('\n') + '\n');
}
