/**
 * Webhook delivery bench (not a test): one server process (`tsx server/main.ts`), a local receiver, one
 * endpoint subscribed to project.created. Phase 1 (latency): changes at a steady pace; the time from the
 * API's answer (the change acknowledged) to the receiver getting its delivery. Phase 2 (throughput): a
 * burst of changes as fast as the API takes them; deliveries per second from the first answer to the last
 * arrival. Targets: >= 200 deliveries/s, p50 < 1 s.
 *
 *   npx tsx bench/webhooks.ts                 # embedded database (a temp data dir)
 *   npx tsx bench/webhooks.ts --postgres      # PostgreSQL on 127.0.0.1 (a database created and dropped)
 *   options: --rate 50 --seconds 10 --burst 3000 --concurrency 32
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { newPglite } from '../server/db/pglite.js';
import { SecretBox } from '../server/data/secret-box.js';
import { ROOT, log, quantile, round, sleep } from './lib.js';
import { LOCAL_ADMIN_URL, createDatabase, dropDatabase } from './postgres.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const onPostgres = args.includes('--postgres');
const RATE = opt('rate', 50);
const SECONDS = opt('seconds', 10);
const BURST = opt('burst', 3000);
const CONCURRENCY = opt('concurrency', 32);
const SECRETS_KEY = Buffer.alloc(32, 1).toString('base64');
const SECRET = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;

// The receiver: when each project's delivery arrived (by the project id in the body).
const arrivals = new Map<string, number>();
let requests = 0;
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    requests++;
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { subject: { id: string } } };
    if (!arrivals.has(body.data.subject.id)) arrivals.set(body.data.subject.id, performance.now());
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const dataDir = mkdtempSync(join(tmpdir(), 'alumia-bench-webhooks-'));
const dbName = `alumia_bench_webhooks_${process.pid}`;
const databaseUrl = onPostgres ? await createDatabase(LOCAL_ADMIN_URL, dbName) : undefined;
const { DATABASE_URL: _ignored, ...inherited } = process.env;
const env = {
  ...inherited,
  NODE_ENV: 'development',
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  DISABLE_RATE_LIMIT: '1',
  SECRETS_KEY,
  WEBHOOK_ALLOW_PRIVATE: '1',
  DATA_DIR: dataDir,
  ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
};

async function start(): Promise<{ child: ChildProcess; port: number; stdout: () => string }> {
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['server/main.ts'], {
    cwd: ROOT,
    env: { ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += String(c);
    // The server's warnings and errors, shown: a bench number from a run with errors is no number.
    for (const line of String(c).split('\n')) if (/"level":[56]0|"level":40/.test(line)) process.stderr.write(`${line.slice(0, 600)}\n`);
  });
  for (let i = 0; i < 600; i++) {
    const m = out.match(/"port":(\d+)[^\n]*"msg":"listening"/);
    if (m) return { child, port: Number(m[1]), stdout: () => out };
    await sleep(100);
  }
  throw new Error(`server did not start:\n${out}`);
}
const stop = (child: ChildProcess) => new Promise<void>((r) => (child.once('exit', () => r()), child.kill('SIGTERM')));

let server = await start();
// A failed run must not leave its server behind.
process.on('exit', () => server.child.kill('SIGKILL'));
const key = server.stdout().match(/alm_test_[0-9a-f]{48}/)![0];
const headers = { Authorization: `Bearer ${key}`, 'content-type': 'application/json' };
const api = (path: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${server.port}/api/v1${path}`, { ...init, headers });
await api('/me');

// The endpoint row, written directly: the embedded database is this process's only while the server is down.
const insert = `INSERT INTO "WebhookEndpoint" ("orgId", url, events, secret, "createdByUserId")
  SELECT "orgId", $1, ARRAY['project.created'], $2, "userId" FROM "Membership" LIMIT 1`;
const sealed = new SecretBox(Buffer.from(SECRETS_KEY, 'base64')).seal(SECRET);
if (databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(insert, [hookUrl, sealed]);
  await client.end();
} else {
  await stop(server.child);
  const pglite = newPglite(join(dataDir, 'pg'));
  await pglite.query(insert, [hookUrl, sealed]);
  await pglite.close();
  server = await start();
}

async function create(name: string, acks: Map<string, number>) {
  const res = await api('/projects', { method: 'POST', body: JSON.stringify({ name }) });
  if (res.status !== 201) throw new Error(`POST /projects answered ${res.status}: ${await res.text()}`);
  const { data } = (await res.json()) as { data: { id: string } };
  acks.set(data.id, performance.now());
}

async function waitAll(acks: Map<string, number>, timeoutMs = 120_000) {
  const end = performance.now() + timeoutMs;
  while ([...acks.keys()].some((id) => !arrivals.has(id))) {
    if (performance.now() > end) throw new Error(`${[...acks.keys()].filter((id) => !arrivals.has(id)).length} deliveries missing`);
    await sleep(10);
  }
}

// Warm-up: the first deliveries pay for module loading and the queue's first polls.
const warm = new Map<string, number>();
for (let i = 0; i < 20; i++) await create(`warm ${i}`, warm);
await waitAll(warm);

// Phase 1: latency at a steady pace.
log(`latency: ${RATE} changes/s for ${SECONDS} s`);
const paced = new Map<string, number>();
const pending: Promise<void>[] = [];
const t0 = performance.now();
for (let i = 0; i < RATE * SECONDS; i++) {
  const due = t0 + (i * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 0) await sleep(wait);
  pending.push(create(`paced ${i}`, paced));
}
await Promise.all(pending);
await waitAll(paced);
const latencies = [...paced].map(([id, ack]) => arrivals.get(id)! - ack).sort((a, b) => a - b);

// Phase 2: throughput of a burst.
log(`throughput: ${BURST} changes, ${CONCURRENCY} at a time`);
const burst = new Map<string, number>();
const b0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < BURST) await create(`burst ${next++}`, burst);
  }),
);
const apiDone = performance.now();
await waitAll(burst);
const last = Math.max(...[...burst.keys()].map((id) => arrivals.get(id)!));
const burstLat = [...burst].map(([id, ack]) => arrivals.get(id)! - ack).sort((a, b) => a - b);

// Phase 3: the engine's own rate, apart from the API's: every delivery of the burst queued again at once
// (as a retry does), drained by the one server. Embedded: written while the server is down, timed from
// its restart's 'listening'; PostgreSQL: written while it runs, timed from the commit.
log(`drain: ${burst.size} deliveries queued again at once`);
// The last records commit just after their answers arrived: let them, so the re-queue meets no lock.
await sleep(2_000);
for (const id of burst.keys()) arrivals.delete(id);
const requeue = `UPDATE "WebhookDelivery" SET status = 'pending', "queuedAt" = NULL, "nextAttemptAt" = now() WHERE "eventType" = 'project.created'`;
let d0: number;
if (databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`SELECT pg_notify('webhook_deliveries', '')`);
  d0 = performance.now();
  await client.query(requeue);
  await client.query(`SELECT pg_notify('webhook_deliveries', '')`);
  await client.end();
} else {
  await stop(server.child);
  const pglite = newPglite(join(dataDir, 'pg'));
  await pglite.query(requeue);
  await pglite.close();
  server = await start();
  // From 'listening': the engine starts right after it.
  d0 = performance.now();
}
await waitAll(burst);
const drainLast = Math.max(...[...burst.keys()].map((id) => arrivals.get(id)!));

const result = {
  database: onPostgres ? 'postgres' : 'embedded',
  latency: {
    changes: latencies.length,
    p50Ms: round(quantile(latencies, 0.5)),
    p95Ms: round(quantile(latencies, 0.95)),
    p99Ms: round(quantile(latencies, 0.99)),
    maxMs: round(latencies.at(-1)!),
  },
  throughput: {
    deliveries: burst.size,
    apiChangesPerS: round(burst.size / ((apiDone - b0) / 1000)),
    deliveriesPerS: round(burst.size / ((last - b0) / 1000)),
    p50Ms: round(quantile(burstLat, 0.5)),
    p95Ms: round(quantile(burstLat, 0.95)),
  },
  drain: { deliveries: burst.size, deliveriesPerS: round(burst.size / ((drainLast - d0) / 1000)), seconds: round((drainLast - d0) / 1000) },
  receiverRequests: requests,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);

await stop(server.child);
receiver.close();
rmSync(dataDir, { recursive: true, force: true });
if (databaseUrl) await dropDatabase(LOCAL_ADMIN_URL, dbName);
