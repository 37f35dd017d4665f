// Set-up of the chat bench (bench/chat.ts): the upstream processes and their behaviors, credits for the
// seeded organization, the agents and sessions chatted in, the requests sent, and two readings (what the
// database backends are doing, the open-files limit).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Behavior } from '../test/helpers/upstream.js';
import type { PostRequest } from './chat-load.js';
import { ROOT, sleep } from './lib.js';
import { startProcess, type Spawned } from './processes.js';
import type { SeedInfo } from './seed.js';

/** Core of the load generator, where the upstreams run too (the server has core 1). */
export const LOADGEN_CORE = 0;
export const CONTENT = 'How do I rotate an API key without downtime?';
export const SYSTEM_PROMPT = 'You are the bench assistant of the platform team. Answer in one short paragraph.';
export const ANSWER = [
  'Rotate ',
  'the key ',
  'in two steps: ',
  'mint a new one ',
  'and deploy it, ',
  'then revoke ',
  'the old one ',
  'once traffic moved.',
];
// Zero delay: the whole answer leaves in one write, as the issue's "upstream with zero delay".
export const FAST: Behavior = { kind: 'reply', chunks: ANSWER, usage: { prompt_tokens: 40, completion_tokens: 24 } };
/**
 * A chunk every 500 ms for about `holdS` seconds: long enough that 1,000 streams overlap even when opening
 * them all takes the server several seconds (`--hold`, default 10).
 */
export function slowBehavior(holdS: number): Behavior {
  const chunks = Array.from({ length: Math.max(2, Math.round(holdS * 2)) }, (_, i) => ANSWER[i % ANSWER.length]!);
  return { kind: 'reply', chunks, gapMs: 500, usage: { prompt_tokens: 40, completion_tokens: chunks.length * 3 } };
}
export const UPSTREAM_KEY = 'bench-upstream-key';
/** Credits granted to the seeded org (it is created by SQL, so INITIAL_CREDITS, a first-start grant, does not reach it). */
export const GRANT_MICRO = 1_000_000n * 1_000_000n;

export interface BenchSession {
  id: string;
  key: string;
}

/** The upstream process with `behavior`, pinned to the load generator's core; resolves once it printed its port. */
export async function startUpstreamProcess(behavior: Behavior, logFile: string): Promise<{ proc: Spawned; url: URL }> {
  const proc = startProcess(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'upstream-process.ts'), JSON.stringify(behavior)], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' },
    core: LOADGEN_CORE,
    logFile,
  });
  let exited: number | string | undefined;
  void proc.exited.then((c) => (exited = c));
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline && exited === undefined) {
    const port = /UPSTREAM_PORT=(\d+)/.exec(readFileSync(logFile, 'utf8'))?.[1];
    if (port) return { proc, url: new URL(`http://127.0.0.1:${port}`) };
    await sleep(20);
  }
  throw new Error(`upstream process did not start (${exited ?? 'timeout'}): ${readFileSync(logFile, 'utf8').slice(-500)}`);
}

/** Grants GRANT_MICRO the way the ledger does (a ledger row and the balance moved by it, together). */
export async function grantCredits(url: string, orgId: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`INSERT INTO "CreditLedger" ("orgId", "kind", "amountMicro", "note") VALUES ($1, 'grant', $2, 'bench/chat.ts')`, [
      orgId,
      String(GRANT_MICRO),
    ]);
    await client.query(`UPDATE "Organization" SET "creditBalanceMicro" = "creditBalanceMicro" + $2 WHERE "id" = $1`, [
      orgId,
      String(GRANT_MICRO),
    ]);
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

/** Two agents (fast and slow model) and `n` one-agent sessions for each, through the API, each session created (and later chatted in) by one of the seeded keys in turn. */
export async function createFixtures(base: string, seed: SeedInfo, n: number) {
  const post = async (key: string, path: string, body: object): Promise<string> => {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return (JSON.parse(text) as { data: { id: string } }).data.id;
  };
  const owner = seed.keys[0]!;
  const fastAgent = await post(owner, '/api/v1/agents', { name: 'Bench Chat Grok', model: 'grok-3', systemPrompt: SYSTEM_PROMPT });
  const slowAgent = await post(owner, '/api/v1/agents', {
    name: 'Bench Chat Slow Stream',
    model: 'gpt-4.1-mini',
    systemPrompt: SYSTEM_PROMPT,
  });
  const sessions = async (agentId: string, label: string): Promise<BenchSession[]> => {
    const out: BenchSession[] = new Array<BenchSession>(n);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < n; i = next++) {
        const key = seed.keys[i % seed.keys.length]!;
        out[i] = { id: await post(key, '/api/v1/sessions', { title: `Bench ${label} ${i + 1}`, agentIds: [agentId] }), key };
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return out;
  };
  return { fast: await sessions(fastAgent, 'chat'), slow: await sessions(slowAgent, 'stream') };
}

export const chatRequest = (s: BenchSession, stream: boolean): PostRequest => ({
  path: `/api/v1/sessions/${s.id}/chat`,
  headers: { authorization: `Bearer ${s.key}`, 'content-type': 'application/json' },
  body: JSON.stringify({ content: CONTENT, stream }),
});

// What the server sends the upstream for a first message (system prompt, then the author-prefixed turn).
export const directRequest = (): PostRequest => ({
  path: '/v1/chat/completions',
  headers: { authorization: `Bearer ${UPSTREAM_KEY}`, 'content-type': 'application/json' },
  body: JSON.stringify({
    model: 'grok-3',
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: `Bench Owner: ${CONTENT}` },
    ],
    stream: true,
    stream_options: { include_usage: true },
  }),
});

/**
 * What the bench database's backends are doing, sampled every `everyMs` until stop(): `active` (running
 * a statement), `idle in transaction / Client:ClientRead` (holding a transaction open while the server
 * thinks), `Lock:*` (waiting for a row another transaction holds). Shares of all backend samples.
 */
export function sampleBackends(admin: pg.Client, db: string, everyMs = 200) {
  const counts: Record<string, number> = {};
  let total = 0;
  const timer = setInterval(() => {
    admin
      .query<{ s: string; n: number }>(
        `SELECT state || coalesce(' / ' || wait_event_type || ':' || wait_event, '') AS s, count(*)::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1`,
        [db],
      )
      .then(({ rows }) => {
        for (const r of rows) {
          counts[r.s] = (counts[r.s] ?? 0) + r.n;
          total += r.n;
        }
      })
      .catch(() => {});
  }, everyMs);
  return () => {
    clearInterval(timer);
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
    return Object.fromEntries(entries.map(([k, v]) => [k, Math.round((v / Math.max(1, total)) * 1000) / 10]));
  };
}

/** The soft limit on open files of this process, which the server and upstreams inherit (ulimit -n). */
export function openFilesLimit(): number | null {
  try {
    return Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? NaN) || null;
  } catch {
    return null;
  }
}

/**
 * The server's warnings and errors (pino levels 40 and 50) in its log, counted by message (the error's
 * own message when there is one): a burst of failed streams names its cause here.
 */
export function logProblems(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return counts;
  }
  for (const line of text.split('\n')) {
    if (!/"level":(40|50|60)/.test(line)) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
      const key = `${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`.slice(0, 160);
      counts[key] = (counts[key] ?? 0) + 1;
    } catch {
      // not a JSON line
    }
  }
  return counts;
}
