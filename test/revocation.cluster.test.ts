import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgres, postgresUnavailable } from './helpers/postgres.js';
import { isRunning, startServer, type ServerProcess } from './helpers/processes.js';

// WEB_CONCURRENCY=2 without Redis: a revoke answered by one worker must already hold on the other, whose
// key cache (1 s TTL) would otherwise keep accepting the key. Workers need PostgreSQL (DATABASE_URL).
const pgReason = await postgresUnavailable();
if (pgReason) console.warn(`revocation.cluster.test.ts is SKIPPED: ${pgReason}`);

const TRIALS = 5;
// Sequential fresh connections alternate between the workers (the primary hands them out round-robin).
const WARM = 10;
const AFTER_SEQUENTIAL = 10;
const AFTER_CONCURRENT = 30;

/** One request on its own TCP connection (no agent, `Connection: close`), so each can land on either worker. */
function send(port: number, method: string, path: string, key: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

const workerPids = (primary: number) =>
  readdirSync(`/proc/${primary}/task`).flatMap((t) =>
    readFileSync(`/proc/${primary}/task/${t}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number),
  );
const listening = (server: ServerProcess) => server.logs().filter((l) => l.msg === 'listening').length;
const unconfirmed = (server: ServerProcess) =>
  server.logs().filter((l) => /confirm a key revocation|could not send a key revocation/.test(String(l.msg)));

describe.skipIf(pgReason !== undefined)('key revocation across WEB_CONCURRENCY workers without Redis', () => {
  let fresh: Awaited<ReturnType<typeof freshPostgres>>;
  let server: ServerProcess;
  let owner: string;

  const me = (key: string) => send(server.port, 'GET', '/api/v1/me', key).then((r) => r.status);
  async function mint(name: string) {
    const res = await send(server.port, 'POST', '/api/v1/api-keys', owner, JSON.stringify({ name }));
    expect(res.status, res.text).toBe(201);
    const { data } = JSON.parse(res.text);
    return { id: data.id as string, key: data.key as string };
  }
  /** Warms the key on both workers, revokes it, then asks again at once over fresh connections. */
  async function trial(name: string) {
    const { id, key } = await mint(name);
    const warm: number[] = [];
    for (let i = 0; i < WARM; i++) warm.push(await me(key));
    expect(warm).toEqual(Array(WARM).fill(200));
    const started = performance.now();
    const revoked = await send(server.port, 'DELETE', `/api/v1/api-keys/${id}`, owner);
    const revokeMs = performance.now() - started;
    expect(revoked.status, revoked.text).toBe(200);
    const after: number[] = [];
    for (let i = 0; i < AFTER_SEQUENTIAL; i++) after.push(await me(key));
    after.push(...(await Promise.all(Array.from({ length: AFTER_CONCURRENT }, () => me(key)))));
    return { after, revokeMs };
  }

  beforeAll(async () => {
    fresh = await freshPostgres('revocation_cluster');
    server = await startServer({
      DATABASE_URL: fresh.url!,
      WEB_CONCURRENCY: '2',
      KEY_MINT_LIMIT_PER_MINUTE: '1000',
      AUTH_FAILURE_LIMIT_PER_MINUTE: '100000',
      DATABASE_POOL_SIZE: '4',
    });
    await server.waitForOutput(() => listening(server) === 2, 60_000);
    owner = server.stdout().match(/alm_test_[0-9a-f]{48}/)![0];
  }, 120_000);

  afterAll(async () => {
    if (server) {
      // SIGTERM reaches the primary through tsx and stops the workers; the group kill is for what is left.
      await Promise.race([server.stop('SIGTERM'), new Promise((r) => setTimeout(r, 10_000))]);
      try {
        process.kill(-server.child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await fresh?.drop?.();
  }, 30_000);

  it('refuses a revoked key on every worker from the very next request', async () => {
    const results = [];
    for (let t = 0; t < TRIALS; t++) results.push(await trial(`trial-${t}`));
    const accepted = results.map((r) => r.after.filter((s) => s === 200).length);
    console.log(
      `revocation across workers: ${TRIALS} trials x ${AFTER_SEQUENTIAL + AFTER_CONCURRENT} requests after the revoke; ` +
        `200s per trial ${JSON.stringify(accepted)}; revoke took ${results.map((r) => Math.round(r.revokeMs)).join(', ')} ms`,
    );
    expect(accepted).toEqual(Array(TRIALS).fill(0));
    for (const r of results) expect(r.after).toEqual(Array(AFTER_SEQUENTIAL + AFTER_CONCURRENT).fill(401));
    // Every worker confirmed: no revoke waited out the bound.
    expect(unconfirmed(server)).toEqual([]);
  }, 60_000);

  it('does not wait for a worker that dies during the broadcast, and its replacement refuses the key', async () => {
    const { id, key } = await mint('dying-worker');
    for (let i = 0; i < WARM; i++) expect(await me(key)).toBe(200);
    const [victim] = workerPids(server.child.pid!);
    const before = listening(server);
    // Stopped, the victim is still connected but cannot confirm: the broadcast waits on it until it dies.
    process.kill(victim!, 'SIGSTOP');
    try {
      // The primary hands the stopped worker at most one connection; the others reach the survivor.
      const started = performance.now();
      const deletes = Array.from({ length: 4 }, () =>
        send(server.port, 'DELETE', `/api/v1/api-keys/${id}`, owner).then((r) => ({ ...r, ms: performance.now() - started })),
      );
      await new Promise((r) => setTimeout(r, 200));
      process.kill(victim!, 'SIGKILL');
      const answers = (await Promise.allSettled(deletes)).flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
      const won = answers.filter((a) => a.status === 200);
      expect(won, JSON.stringify(answers)).toHaveLength(1);
      console.log(`revoke with a worker dying 200 ms into it answered after ${Math.round(won[0]!.ms)} ms`);
    } finally {
      if (isRunning(victim!)) process.kill(victim!, 'SIGKILL');
    }
    await server.waitForOutput(() => listening(server) === before + 1, 60_000);
    // Its death ended the wait, not the bound (which would have logged by now).
    expect(unconfirmed(server)).toEqual([]);
    const after = await Promise.all(Array.from({ length: 20 }, () => me(key)));
    expect(after).toEqual(Array(20).fill(401));
    // Both workers answer again, and a revoke still reaches them all.
    const next = await trial('after-replacement');
    expect(next.after).toEqual(Array(AFTER_SEQUENTIAL + AFTER_CONCURRENT).fill(401));
  }, 90_000);
});
