// The scenarios and the load driver (autocannon, programmatic, in this process).
import { randomBytes } from 'node:crypto';
import autocannon, { type Instance, type Request, type Result } from 'autocannon';
import { quantile, round } from './lib.js';
import { cpuByPid, cpuSeconds, loadAverage, machineBusySeconds, rssMb, runQueueWaitSeconds } from './machine.js';
import { FIRST_NAMES, LAST_NAMES, ROLE_NAMES, rng, description, systemPrompt } from './seed.js';
import type { SeedInfo } from './seed.js';

/** What the scenarios need to know about the seeded data. */
export interface Target {
  seed: SeedInfo;
  /** A cursor ~150 pages deep into the 50-per-page list (found by walking the real server). */
  deepCursor: string;
  /** Well-formed live keys that do not exist. */
  wrongKeys: string[];
}

export type BaselineKind = 'get-by-id' | 'get-by-slug' | 'list-first' | 'list-deep';

export interface Scenario {
  name: string;
  /** The baseline scenario it is compared with; `natural` when the baseline runs the same query. */
  baseline: BaselineKind;
  natural: boolean;
  /** Status codes that count as success for this scenario (anything else is reported). */
  expect: number[];
  /** Creates agents: collect the slugs answered to check their uniqueness. */
  creates?: boolean;
  request(t: Target): () => Request;
  description: string;
}

const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)]!;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const jsonHeaders = (key: string) => ({ ...bearer(key), 'content-type': 'application/json' });

// Distinct, realistic names for created agents ("Maya Okafor Research Assistant"), 1,000,000 of them,
// none colliding with the seeded "Research Assistant Maya" family or with each other.
let createCounter = Math.floor(Math.random() * 100) * 100;
const nameRng = rng(7);
export function nextAgentName(): string {
  const n = createCounter++;
  return `${FIRST_NAMES[n % 100]} ${LAST_NAMES[Math.floor(n / 100) % 100]} ${ROLE_NAMES[Math.floor(n / 10_000) % 100]}`;
}

const createBody = (name: string) =>
  JSON.stringify({
    name,
    description: description(nameRng, name),
    systemPrompt: systemPrompt(nameRng, name),
    model: 'gpt-4.1-mini',
    avatar: 'owl',
    settings: { voice: { provider: 'elevenlabs', voiceId: 'rachel', language: 'en-GB' }, temperature: 0.3 },
  });

let patchCounter = 0;
const patchBody = () => JSON.stringify({ description: `Reviewed by the bench (${++patchCounter}); scope unchanged, tone tightened.` });

const A = '/api/v1/agents';

const getById = (t: Target): Request => ({ method: 'GET', path: `${A}/${pick(t.seed.agentIds)}`, headers: bearer(pick(t.seed.keys)) });
const getBySlug = (t: Target): Request => ({ method: 'GET', path: `${A}/${pick(t.seed.agentSlugs)}`, headers: bearer(pick(t.seed.keys)) });
const listFirst = (t: Target): Request => ({ method: 'GET', path: `${A}?limit=50`, headers: bearer(pick(t.seed.keys)) });
const listDeep = (t: Target): Request => ({
  method: 'GET',
  path: `${A}?limit=50&cursor=${t.deepCursor}`,
  headers: bearer(pick(t.seed.keys)),
});
const messages = (t: Target): Request => ({
  method: 'GET',
  path: `${A}/${pick(t.seed.messageAgentIds)}/messages`,
  headers: bearer(pick(t.seed.keys)),
});
const create = (t: Target): Request => ({
  method: 'POST',
  path: A,
  headers: jsonHeaders(pick(t.seed.keys)),
  body: createBody(nextAgentName()),
});
const patch = (t: Target): Request => ({
  method: 'PATCH',
  path: `${A}/${pick(t.seed.agentIds)}`,
  headers: jsonHeaders(pick(t.seed.keys)),
  body: patchBody(),
});

// 80% reads, 20% writes.
const MIX: Array<[number, (t: Target) => Request]> = [
  [40, getById],
  [10, getBySlug],
  [20, listFirst],
  [10, messages],
  [10, create],
  [10, patch],
];
const mixed = (t: Target): Request => {
  let r = Math.random() * 100;
  for (const [weight, make] of MIX) {
    if ((r -= weight) < 0) return make(t);
  }
  return getById(t);
};

export const SCENARIOS: Scenario[] = [
  {
    name: 'get-by-id',
    baseline: 'get-by-id',
    natural: true,
    expect: [200],
    request: (t) => () => getById(t),
    description: 'GET /agents/:id, random agent of the main workspace, random key of 100',
  },
  {
    name: 'get-by-slug',
    baseline: 'get-by-slug',
    natural: true,
    expect: [200],
    request: (t) => () => getBySlug(t),
    description: 'GET /agents/:slug',
  },
  {
    name: 'list-first',
    baseline: 'list-first',
    natural: true,
    expect: [200],
    request: (t) => () => listFirst(t),
    description: 'GET /agents?limit=50, first page of the 8,001 the caller lists',
  },
  {
    name: 'list-deep',
    baseline: 'list-deep',
    natural: true,
    expect: [200],
    request: (t) => () => listDeep(t),
    description: 'GET /agents?limit=50&cursor=<page 151>',
  },
  {
    name: 'messages',
    baseline: 'get-by-id',
    natural: false,
    expect: [200],
    request: (t) => () => messages(t),
    description: 'GET /agents/:id/messages (peer sessions)',
  },
  {
    name: 'wrong-key-401',
    baseline: 'get-by-id',
    natural: false,
    expect: [401],
    request: (t) => () => ({ method: 'GET', path: `${A}/${pick(t.seed.agentIds)}`, headers: bearer(pick(t.wrongKeys)) }),
    description: 'GET /agents/:id with one of 50 well-formed unknown live keys (misconfigured clients): 401 only',
  },
  {
    name: 'wrong-key-401-unique',
    baseline: 'get-by-id',
    natural: false,
    expect: [401],
    request: (t) => () => ({
      method: 'GET',
      path: `${A}/${pick(t.seed.agentIds)}`,
      headers: bearer(`alm_live_${randomBytes(24).toString('hex')}`),
    }),
    description: 'extra: like wrong-key-401, but a never-seen key on every request (nothing to cache)',
  },
  {
    name: 'patch',
    baseline: 'get-by-id',
    natural: false,
    expect: [200],
    request: (t) => () => patch(t),
    description: 'PATCH /agents/:id {description}',
  },
  {
    name: 'create',
    baseline: 'get-by-id',
    natural: false,
    expect: [201],
    creates: true,
    request: (t) => () => create(t),
    description: 'POST /agents, distinct realistic names',
  },
  {
    name: 'mixed-80r-20w',
    baseline: 'get-by-id',
    natural: false,
    expect: [200, 201],
    creates: true,
    request: (t) => () => mixed(t),
    description: '40% by id, 10% by slug, 20% list, 10% messages, 10% create, 10% patch',
  },
  {
    name: 'create-same-name',
    baseline: 'get-by-id',
    natural: false,
    expect: [201],
    creates: true,
    request: (t) => () => ({ method: 'POST', path: A, headers: jsonHeaders(pick(t.seed.keys)), body: createBody('Support Agent') }),
    description: 'extra: POST /agents, every request named "Support Agent" (slug suffix search and retries)',
  },
];

export function wrongKeys(n = 50): string[] {
  return Array.from({ length: n }, () => `alm_live_${randomBytes(24).toString('hex')}`);
}

export interface Measurement {
  rps: number;
  requests: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Answers whose status is not in the scenario's `expect` list (errors and timeouts not included). */
  unexpected: number;
  statusCodes: Record<string, number>;
  rssMb: number | null;
  serverCpuUsPerReq: number | null;
  /** CPU of the PostgreSQL backends serving the bench database, per request. */
  pgCpuUsPerReq: number | null;
  /** CPU used meanwhile by everything else on the machine (other users' processes), % of one core. */
  otherCpuPct: number | null;
  /**
   * From pg_stat_database of the bench database, per request: transactions (each autocommit statement is
   * one) and rows read by scans. Approximate: backends report their counters up to a second late.
   */
  pgXactPerReq: number | null;
  pgRowsReadPerReq: number | null;
  /** Share of the run the server's main thread was runnable but waiting for its core (other processes on it). */
  serverWaitPct: number | null;
  /** The same for the load generator (this process). */
  loadgenWaitPct: number | null;
  loadAvg: number | null;
  durationS: number;
  createdSlugs?: { answered: number; distinct: number };
}

/**
 * Drives `url` with autocannon for `duration` seconds (after `warmup` seconds that are not recorded) and
 * measures latency per response (exact, from autocannon's per-response event), throughput, status
 * codes, and the server process's CPU and RSS.
 */
export async function drive(options: {
  url: string;
  connections: number;
  duration: number;
  warmup: number;
  make: () => Request;
  expect: number[];
  serverPid?: number;
  /** Pids of the PostgreSQL backends serving the bench database (their CPU is the database's share). */
  pgBackends?: () => Promise<number[]>;
  /** Cumulative counters of the bench database: transactions and rows read (returned + fetched). */
  pgStats?: () => Promise<{ xact: number; rows: number }>;
  collectSlugs?: boolean;
}): Promise<Measurement> {
  const { url, connections, make } = options;
  const slugs: string[] = [];
  const requests: Request[] = [
    {
      setupRequest: (req) => ({ ...req, ...make() }),
      ...(options.collectSlugs
        ? {
            onResponse: (status: number, body: string) => {
              if (status !== 201) return;
              try {
                const slug = (JSON.parse(body) as { data?: { slug?: string } }).data?.slug;
                if (slug) slugs.push(slug);
              } catch {
                // not JSON
              }
            },
          }
        : {}),
    },
  ];
  if (options.warmup > 0) await bounded(autocannon({ url, connections, duration: options.warmup, requests, timeout: 10 }), options.warmup);
  slugs.length = 0;

  const latencies: number[] = [];
  const loadAvg = loadAverage();
  const pg0 = options.pgBackends ? cpuByPid(await options.pgBackends()) : null;
  const stats0 = options.pgStats ? await options.pgStats() : null;
  const cpu0 = options.serverPid ? cpuSeconds(options.serverPid) : null;
  const self0 = cpuSeconds(process.pid);
  const busy0 = machineBusySeconds();
  const wait0 = options.serverPid ? runQueueWaitSeconds(options.serverPid) : null;
  const selfWait0 = runQueueWaitSeconds(process.pid);
  const wall0 = performance.now();
  const instance = autocannon({ url, connections, duration: options.duration, requests, timeout: 10 });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  const result = await bounded(instance, options.duration);
  const wall = (performance.now() - wall0) / 1000;
  const wait1 = options.serverPid ? runQueueWaitSeconds(options.serverPid) : null;
  const selfWait1 = runQueueWaitSeconds(process.pid);
  const busy1 = machineBusySeconds();
  const self1 = cpuSeconds(process.pid);
  const cpu1 = options.serverPid ? cpuSeconds(options.serverPid) : null;
  const stats1 = options.pgStats ? await options.pgStats() : null;
  let pgUsed: number | null = null;
  if (pg0 && options.pgBackends) {
    pgUsed = 0;
    for (const [pid, s] of cpuByPid(await options.pgBackends())) pgUsed += s - (pg0.get(pid) ?? 0);
  }
  const used = (a: number | null, b: number | null) => (a !== null && b !== null ? b - a : null);
  const srvUsed = used(cpu0, cpu1);
  const busy = used(busy0, busy1);
  const other = busy !== null ? busy - (srvUsed ?? 0) - (pgUsed ?? 0) - (used(self0, self1) ?? 0) : null;

  const sorted = Float64Array.from(latencies).sort();
  const total = latencies.length;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
  const unexpected = Object.entries(statusCodes)
    .filter(([code]) => !options.expect.includes(Number(code)))
    .reduce((n, [, c]) => n + c, 0);
  const perReq = (seconds: number | null) => (seconds !== null && total > 0 ? round((seconds * 1e6) / total, 0) : null);
  return {
    rps: round(result.requests.average, 1),
    requests: total,
    p50: round(quantile(sorted, 0.5)),
    p90: round(quantile(sorted, 0.9)),
    p99: round(quantile(sorted, 0.99)),
    mean: round(total ? latencies.reduce((a, b) => a + b, 0) / total : NaN),
    max: round(sorted[sorted.length - 1] ?? NaN),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    unexpected,
    statusCodes,
    rssMb: options.serverPid ? rssMb(options.serverPid) : null,
    serverCpuUsPerReq: perReq(srvUsed),
    pgCpuUsPerReq: perReq(pgUsed),
    otherCpuPct: other !== null ? round(Math.max(0, (other / wall) * 100), 0) : null,
    pgXactPerReq: stats0 && stats1 && total ? round((stats1.xact - stats0.xact) / total, 2) : null,
    pgRowsReadPerReq: stats0 && stats1 && total ? round((stats1.rows - stats0.rows) / total, 0) : null,
    serverWaitPct: wait0 !== null && wait1 !== null ? round(((wait1 - wait0) / wall) * 100, 0) : null,
    loadgenWaitPct: selfWait0 !== null && selfWait1 !== null ? round(((selfWait1 - selfWait0) / wall) * 100, 0) : null,
    loadAvg,
    durationS: result.duration,
    ...(options.collectSlugs ? { createdSlugs: { answered: slugs.length, distinct: new Set(slugs).size } } : {}),
  };
}

/** autocannon stops itself after `duration`; this makes sure of it (duration + 30 s at most). */
async function bounded(instance: Instance, durationS: number): Promise<Result> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        instance.stop();
        reject(new Error(`autocannon did not finish within ${durationS + 30} s`));
      },
      (durationS + 30) * 1000,
    );
  });
  try {
    return await Promise.race([instance as unknown as Promise<Result>, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** One request of the scenario, to check it answers as expected before it is driven. */
export async function probe(baseUrl: string, req: Request): Promise<{ status: number; body: string }> {
  const res = await fetch(baseUrl + req.path, {
    method: req.method,
    headers: req.headers,
    body: req.body as string | undefined,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.text() };
}

/** Walks `pages` pages of 50 from the first; checks each page is full; returns the next cursor. */
export async function walkCursor(baseUrl: string, key: string, pages: number): Promise<{ cursor: string; ms: number }> {
  const started = performance.now();
  let cursor: string | null = null;
  for (let i = 0; i < pages; i++) {
    const res = await fetch(`${baseUrl}${A}?limit=50${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: bearer(key),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { data?: { items: unknown[]; nextCursor: string | null } };
    if (res.status !== 200 || !body.data)
      throw new Error(`list page ${i + 1} answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
    if (body.data.items.length !== 50 || !body.data.nextCursor)
      throw new Error(`list page ${i + 1} is not full (${body.data.items.length} items)`);
    cursor = body.data.nextCursor;
  }
  return { cursor: cursor!, ms: round(performance.now() - started, 0) };
}
