// npm run bench -- --mission-control [--quick] [--json] [--rounds 3]
//
// The mission control targets of the issue, on PostgreSQL (127.0.0.1), run from the sources with tsx:
//   1. latency: an org with 10,000 agents and 100,000 activity rows (bulk SQL); GET /mission-control at
//      1 connection, sequentially, with no filter and with each single filter (search twice: a rare word
//      and one in every row); target p50 < 15 ms each;
//   2. CPU of POST /agents: the server's own CPU time (/proc/<pid>/stat) per create, this checkout (which
//      writes the activity row) against the last commit before activity rows, exported with `git archive`,
//      alternating A/B rounds on fresh databases; target < 10% added.
// Everything it creates is dropped and every process stopped on the way out; it stops itself on a budget.
import { execSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, log, quantile, round } from './lib.js';
import { cpuMs, freshDatabase, seed, startSourceServer, RARE_WORD, type BenchServer } from './mission-control-setup.js';
import { LOCAL_ADMIN_URL, assertLoopback } from './postgres.js';
import { runBounded, stopAllProcesses } from './processes.js';

export interface MissionControlOptions {
  quick: boolean;
  json: boolean;
  rounds: number;
  /** A tree to compare create's CPU against; default: the last commit before activity rows, exported with git archive. */
  baselineTree?: string;
}

const P50_TARGET_MS = 15;
const CPU_TARGET = 0.1;

async function latency(server: BenchServer, query: string, requests: number, path = '/mission-control') {
  const url = `${server.base}${path}${query}`;
  const headers = { Authorization: `Bearer ${server.key}` };
  const times: number[] = [];
  for (let i = 0; i < requests + 20; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    const body = (await res.json()) as { success: boolean; data?: { activity?: { items: unknown[] } } };
    if (!body.success) throw new Error(`${query}: ${JSON.stringify(body)}`);
    if (i >= 20) times.push(performance.now() - t0); // the first 20 warm the statement caches
    if (i === 0 && query.includes(RARE_WORD) && body.data!.activity!.items.length === 0) throw new Error('the rare word found nothing');
  }
  times.sort((a, b) => a - b);
  return { p50: round(quantile(times, 0.5)), p90: round(quantile(times, 0.9)), p99: round(quantile(times, 0.99)) };
}

/** CPU ms of the server per POST /agents, over `count` sequential creates with distinct names. */
async function createCpu(server: BenchServer, count: number, tag: string) {
  const headers = { Authorization: `Bearer ${server.key}`, 'Content-Type': 'application/json' };
  const post = (i: number) =>
    fetch(`${server.base}/agents`, { method: 'POST', headers, body: JSON.stringify({ name: `Bench ${tag} ${i}` }) }).then(async (r) => {
      await r.arrayBuffer();
      if (r.status !== 201) throw new Error(`POST /agents answered ${r.status}`);
    });
  for (let i = 0; i < 100; i++) await post(-i - 1); // warm-up, not measured
  const before = cpuMs(server.proc.pid);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await post(i);
  return { cpuMsPerRequest: (cpuMs(server.proc.pid) - before) / count, wallMsPerRequest: (performance.now() - t0) / count };
}

export function runMissionControl(options: MissionControlOptions) {
  const adminUrl = process.env.DATABASE_URL ?? LOCAL_ADMIN_URL;
  assertLoopback(adminUrl);
  const tmp = mkdtempSync(join(tmpdir(), 'alumia-bench-mc-'));
  const drops: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    await stopAllProcesses();
    for (const drop of drops.splice(0)) await drop().catch((err: Error) => log(`cleanup: ${err.message}`));
    rmSync(tmp, { recursive: true, force: true });
  };
  const requests = options.quick ? 100 : 500;
  const creates = options.quick ? 300 : 1_500;

  const main = async () => {
    // 1. Latency on the seeded org.
    const db = await freshDatabase(adminUrl, 'mc');
    drops.push(db.drop);
    const server = await startSourceServer(ROOT, db.url, join(tmp, 'server.log'));
    const s = await seed(db.url);
    const queries: Array<[string, string]> = [
      ['no filter', ''],
      ['kind (exact)', '?kind=agent.created'],
      ['kind (prefix)', '?kind=session.*'],
      ['agentId (slug)', `?agentId=${s.agentSlug}`],
      ['projectId (slug)', `?projectId=${s.projectSlug}`],
      ['machine (name)', `?machine=${s.machineName}`],
      [`search (rare: ${RARE_WORD})`, `?search=${RARE_WORD}`],
      ['search (in every row)', '?search=bench%20key'],
    ];
    const latencies: Array<{ name: string; p50: number; p90: number; p99: number; ok: boolean }> = [];
    for (const [name, query] of queries) {
      const l = await latency(server, query, requests);
      latencies.push({ name, ...l, ok: l.p50 < P50_TARGET_MS });
      log(`mission control ${name}: p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms`);
    }
    // The cheapest authenticated call, as a yardstick of the machine's speed at the time.
    const reference = await latency(server, '', requests, '/me');
    log(`reference GET /me: p50 ${reference.p50} ms`);
    await server.stop();

    // 2. CPU per create: this tree against the baseline tree, alternating, each on a fresh database.
    let baseline = options.baselineTree;
    if (!baseline) {
      // The last commit before activity rows existed: the parent of the one that added their writer.
      const added = execSync(`git -C ${ROOT} log --diff-filter=A --format=%H -- server/data/activity.ts`)
        .toString()
        .trim()
        .split('\n')
        .pop();
      baseline = join(tmp, 'before-activity');
      execSync(`mkdir -p ${baseline} && git -C ${ROOT} archive ${added}^ | tar -x -C ${baseline}`);
      symlinkSync(join(ROOT, 'node_modules'), join(baseline, 'node_modules'));
      // The generated Prisma client is not committed; this tree's is a superset of the old schema's.
      if (!existsSync(join(baseline, 'server', 'db', 'prisma')))
        cpSync(join(ROOT, 'server', 'db', 'prisma'), join(baseline, 'server', 'db', 'prisma'), { recursive: true });
    }
    const cpu: Record<'withActivity' | 'withoutActivity', number[]> = { withActivity: [], withoutActivity: [] };
    for (let r = 0; r < options.rounds; r++) {
      const order: Array<['withActivity' | 'withoutActivity', string]> = [
        ['withActivity', ROOT],
        ['withoutActivity', baseline],
      ];
      if (r % 2) order.reverse();
      for (const [label, root] of order) {
        const d = await freshDatabase(adminUrl, `cpu${r}`);
        drops.push(d.drop);
        const srv = await startSourceServer(root, d.url, join(tmp, `${label}.log`));
        const m = await createCpu(srv, creates, `${r}`);
        cpu[label].push(m.cpuMsPerRequest);
        log(`create round ${r + 1} ${label}: ${round(m.cpuMsPerRequest, 3)} ms CPU, ${round(m.wallMsPerRequest, 3)} ms wall per request`);
        await srv.stop();
        await d.drop();
        drops.splice(drops.indexOf(d.drop), 1);
      }
    }
    const median = (xs: number[]) =>
      quantile(
        [...xs].sort((a, b) => a - b),
        0.5,
      );
    const added = median(cpu.withActivity) / median(cpu.withoutActivity) - 1;
    const result = {
      latencies,
      referenceMe: reference,
      latencyTargetMs: P50_TARGET_MS,
      createCpu: {
        withActivityMs: round(median(cpu.withActivity), 3),
        withoutActivityMs: round(median(cpu.withoutActivity), 3),
        rounds: cpu,
        added: round(added, 3),
        ok: added < CPU_TARGET,
      },
      requestsPerFilter: requests,
      createsPerRound: creates,
    };
    log('');
    for (const l of latencies) log(`${l.ok ? 'ok  ' : 'MISS'} p50 ${String(l.p50).padStart(6)} ms  ${l.name}`);
    log(
      `${result.createCpu.ok ? 'ok  ' : 'MISS'} create CPU ${result.createCpu.withActivityMs} ms with the activity row vs ${result.createCpu.withoutActivityMs} ms without: ${round(added * 100, 1)}% added (target < 10%)`,
    );
    if (options.json) process.stdout.write(JSON.stringify(result) + '\n');
  };
  runBounded('bench --mission-control', main, { budgetS: options.quick ? 600 : 1_800, cleanup });
}
