import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, tempDir, type ServerProcess } from './helpers/processes.js';

/**
 * `node --import tsx server/main.ts`, one process as `npm start` runs one, on a fresh embedded data dir.
 * A new data dir takes PGlite several seconds to create, so one dir serves the whole file and the
 * timeouts are generous.
 */

const KEY = /alm_test_[0-9a-f]{48}/;
const dir = tempDir('startup');
let first: ServerProcess;
let firstKey: string;

beforeAll(async () => {
  // INITIAL_CREDITS: the default org the first start creates begins with them.
  first = await startServer({ DATA_DIR: dir.path, SHUTDOWN_TIMEOUT_MS: '5000', INITIAL_CREDITS: '7.25' });
  // The banner follows the "listening" line.
  await first.waitForOutput((out) => /curl .*\n/.test(out), 30_000);
  firstKey = KEY.exec(first.stdout())![0];
}, 120_000);

afterAll(async () => {
  await first?.stop('SIGKILL');
  dir.remove();
});

/** The server started in beforeAll, if a test has not stopped it yet. */
const stopFirst = () => first.stop('SIGTERM');

const get = (server: ServerProcess, path: string, key?: string) =>
  fetch(server.url(path), { headers: key ? { Authorization: `Bearer ${key}` } : {} });

/** Resolves true when a TCP connection to the port is refused. */
const refusedNow = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(true));
  });

/** Resolves true once connections are refused (the listener closes right after the log line we saw). */
async function refused(port: number, attempts = 50): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await refusedNow(port)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('first start on an empty data dir', () => {
  it('prints one alm_test_ key and a ready-to-paste curl line', () => {
    const out = first.stdout();
    expect(out.match(new RegExp(KEY, 'g'))!.length).toBeGreaterThanOrEqual(1);
    expect(new Set(out.match(new RegExp(KEY, 'g'))).size).toBe(1);
    const curl = out.split('\n').find((l) => l.includes('curl'))!;
    expect(curl).toContain(`Authorization: Bearer ${firstKey}`);
    expect(curl).toContain(`:${first.port}/api/v1/me`);
    // The "listening" line says where it listens.
    expect(first.logs().find((l) => l.msg === 'listening')).toMatchObject({ port: first.port, database: 'embedded' });
  });

  it('is ready, and the printed key authenticates as the owner of org "default"', async () => {
    if (first.child.exitCode !== null) return expect.fail('the first server is gone');
    expect((await get(first, '/readyz')).status).toBe(200);
    const res = await get(first, '/api/v1/me', firstKey);
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: any };
    expect(data).toMatchObject({
      user: { email: 'owner@localhost' },
      org: { slug: 'default' },
      role: 'owner',
      currentWorkspace: { slug: 'default' },
    });
  });

  it('gives the default org INITIAL_CREDITS', async () => {
    if (first.child.exitCode !== null) return expect.fail('the first server is gone');
    const res = await get(first, '/api/v1/billing/credits', firstKey);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown }).data).toStrictEqual({ credits: 7.25, creditMicro: 7_250_000 });
  });

  it('never writes the key into a log line', () => {
    const logLines = first.logs().map((l) => JSON.stringify(l));
    expect(logLines.length).toBeGreaterThan(0);
    for (const l of logLines) expect(l).not.toContain(firstKey.slice(-48));
  });
});

describe('SIGTERM', () => {
  it('stops accepting, lets an in-flight request finish, and exits 0', async () => {
    if (first.child.exitCode !== null) return expect.fail('the first server is gone');
    const body = JSON.stringify({ name: 'in flight' });
    const half = Math.floor(body.length / 2);
    // A request the server is in the middle of: headers and half the body sent, the rest held back.
    let resolveResponse!: (v: { status: number; body: string; connection?: string }) => void;
    const response = new Promise<{ status: number; body: string; connection?: string }>((r) => (resolveResponse = r));
    // A keep-alive client, as SDKs and proxies are: the server must still not wait on its idle connection.
    const agent = new Agent({ keepAlive: true });
    const req = request({
      host: '127.0.0.1',
      port: first.port,
      method: 'POST',
      path: '/api/v1/api-keys',
      agent,
      headers: { Authorization: `Bearer ${firstKey}`, 'Content-Type': 'application/json', 'Content-Length': String(body.length) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolveResponse({ status: res.statusCode!, body: text, connection: res.headers.connection }));
    });
    req.on('error', (err) => resolveResponse({ status: 0, body: String(err) }));
    req.write(body.slice(0, half));
    // Let the server accept the connection and start on the request.
    await new Promise((r) => setTimeout(r, 500));

    first.child.kill('SIGTERM');
    await first.waitForOutput((out) => out.includes('shutting down'), 15_000);
    expect(await refused(first.port)).toBe(true);

    req.end(body.slice(half));
    const answer = await response;
    expect(answer.status, answer.body).toBe(201);
    expect(JSON.parse(answer.body).data.key).toMatch(KEY);
    // The answer tells the client the connection ends here, so shutdown does not wait for it to idle out.
    expect(answer.connection).toBe('close');
    expect(await first.exited).toBe(0);
    agent.destroy();
    expect(first.logs().some((l) => l.msg === 'stopped')).toBe(true);
  }, 60_000);
});

describe('a signal during startup', () => {
  it('stops cleanly (exit 0) when SIGTERM comes the moment the server listens, while its queue is still being set up', async () => {
    // A data dir of its own: on a new one the webhook queue creates its schema after the listener is up.
    const fresh = tempDir('startup-signal');
    try {
      const server = await startServer({ DATA_DIR: fresh.path, SHUTDOWN_TIMEOUT_MS: '5000' });
      expect(await server.stop('SIGTERM'), server.stdout() + server.stderr()).toBe(0);
      expect(server.logs().map((l) => l.msg)).toEqual(expect.arrayContaining(['stopped']));
    } finally {
      fresh.remove();
    }
  }, 120_000);
});

describe('second start on the same data dir', () => {
  it('prints no new key, the first key still works, and SIGINT stops it cleanly too', async () => {
    await stopFirst();
    const second = await startServer({ DATA_DIR: dir.path, SHUTDOWN_TIMEOUT_MS: '5000' });
    try {
      expect((await get(second, '/readyz')).status).toBe(200);
      expect(second.stdout()).not.toMatch(KEY);
      expect(second.stdout()).not.toContain('curl');
      expect((await get(second, '/api/v1/me', firstKey)).status).toBe(200);
    } finally {
      expect(await second.stop('SIGINT')).toBe(0);
    }
    // The server itself shut down (not just the wrapper around it).
    expect(second.logs().map((l) => l.msg)).toEqual(expect.arrayContaining(['stopped']));
    expect(second.logs().find((l) => typeof l.msg === 'string' && l.msg.startsWith('shutting down'))).toMatchObject({ signal: 'SIGINT' });
    expect(await refused(second.port)).toBe(true);
  }, 120_000);
});
