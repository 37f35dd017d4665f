import { createConnection, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract } from '../server/contract.js';
import { createHttpServer } from '../server/http-server.js';
import { expectError } from './helpers/envelope.js';
import { createAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { sendRaw, type SocketAnswer } from './helpers/raw-http.js';

/**
 * What happens before and around the app: requests that are slow, unfinished, too many, malformed or
 * without a Host still get the envelope and the security headers, HEAD works wherever GET does, and a
 * body cap the contract does not declare never answers.
 */

let h: Harness;
let t: Tenant;
let agentId: string;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  agentId = (await createAgent(h, t, { name: 'Transported' })).id;
});
afterAll(() => h.close());

/** The real HTTP server around the app, with `overrides` of the transport settings. */
async function serve(overrides: Partial<Pick<typeof h.config, 'requestTimeoutMs' | 'maxConnections' | 'keepAliveTimeoutMs'>> = {}) {
  const { server } = createHttpServer(h.app, { ...h.config, ...overrides });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const asEnvelope = (res: SocketAnswer) => ({ status: res.status, headers: res.headers, body: res.body });
const SECURITY_HEADERS = [
  'content-security-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
];
const expectSecurityHeaders = (res: SocketAnswer) => {
  for (const name of SECURITY_HEADERS) expect(res.headers[name], `${res.status} lacks ${name}`).toBeTruthy();
};

/** Opens a socket and resolves once it is connected; `closed` settles when the server ends it. */
function connect(port: number): Promise<{ socket: Socket; data: () => string; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let data = '';
    const started = performance.now();
    socket.on('data', (c: Buffer) => (data += c.toString()));
    const closed = new Promise<number>((done) => socket.on('close', () => done(performance.now() - started)));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, data: () => data, closed }));
    socket.once('error', reject);
  });
}

describe('a whole-request timeout and a bound on connections (finding 7)', () => {
  it('answers 408 REQUEST_TIMEOUT in the envelope and closes a connection whose body never finishes', async () => {
    const s = await serve({ requestTimeoutMs: 1_000 });
    try {
      const c = await connect(s.port);
      c.socket.write(
        `POST /api/v1/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name": "`,
      );
      const ms = await c.closed;
      expect(ms).toBeLessThan(6_000);
      const [head, body] = c.data().split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 408 /);
      expect(head).toMatch(/\r\nContent-Security-Policy: /i);
      expect(JSON.parse(body!)).toMatchObject({ success: false, error: { code: 'REQUEST_TIMEOUT', requestId: expect.any(String) } });
      expect(await h.db.prisma.agent.count({ where: { orgId: t.orgId } })).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('closes a connection whose headers trickle in past the timeout, and leaves idle keep-alive connections alone', async () => {
    const s = await serve({ requestTimeoutMs: 1_000, keepAliveTimeoutMs: 10_000 });
    try {
      const slow = await connect(s.port);
      slow.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      const trickle = setInterval(() => slow.socket.writable && slow.socket.write('X-Slow: 1\r\n'), 200);
      expect(await slow.closed).toBeLessThan(6_000);
      clearInterval(trickle);
      expect(slow.data()).toMatch(/^HTTP\/1\.1 408 /);

      // Between requests nothing is being received: the idle connection outlives the request timeout.
      const idle = await connect(s.port);
      idle.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await sleep(2_500);
      idle.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await sleep(300);
      expect(idle.data().match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
      idle.socket.destroy();
    } finally {
      await s.close();
    }
  });

  it('holds at most MAX_CONNECTIONS connections open: the next one is closed at once, and a freed slot serves again', async () => {
    const s = await serve({ maxConnections: 3 });
    try {
      const held = await Promise.all([1, 2, 3].map(() => connect(s.port)));
      await sleep(100);
      const extra = await connect(s.port);
      extra.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(await extra.closed).toBeLessThan(2_000);
      expect(extra.data()).toBe('');
      held[0]!.socket.destroy();
      await sleep(100);
      const res = await sendRaw(s.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(res.status).toBe(200);
      for (const c of held) c.socket.destroy();
    } finally {
      await s.close();
    }
  });

  it('reads both settings from the environment, with documented defaults', async () => {
    const { loadConfig } = await import('../server/config.js');
    expect(loadConfig({})).toMatchObject({ requestTimeoutMs: 30_000, maxConnections: 4_096 });
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '5000', MAX_CONNECTIONS: '10' })).toMatchObject({
      requestTimeoutMs: 5_000,
      maxConnections: 10,
    });
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '10' })).toThrow(/REQUEST_TIMEOUT_MS/);
  });
});

describe('answers that used to leave the envelope or the security headers (finding 10)', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s = await serve();
  });
  afterAll(() => s.close());

  it('refuses an HTTP/1.1 request without Host with 400 in the envelope, with the security headers; HTTP/1.0 needs none', async () => {
    const res = await sendRaw(s.port, 'GET /api/v1/me HTTP/1.1\r\nConnection: close\r\n\r\n');
    expectError(asEnvelope(res), 'BAD_REQUEST');
    expect((res.body as { error: { message: string } }).error.message).toMatch(/Host/);
    expectSecurityHeaders(res);
    const old = await sendRaw(s.port, 'GET /healthz HTTP/1.0\r\n\r\n');
    expect(old.status).toBe(200);
  });

  it('sends the security headers with the parser-error 400, and 431 for headers over the limit', async () => {
    const bad = await sendRaw(s.port, 'GET /api/v1/me HTTP/1.1\r\nHost: x\r\nBad Header: value\r\n\r\n');
    expect(bad.status).toBe(400);
    expectSecurityHeaders(bad);
    const big = await sendRaw(s.port, `GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big.status).toBe(431);
    expect(big.body).toMatchObject({
      success: false,
      error: { code: 'REQUEST_HEADERS_TOO_LARGE', requestId: big.headers['x-request-id'] },
    });
    expectSecurityHeaders(big);
  });

  it('answers CONNECT and Upgrade requests with a 404 in the envelope instead of dropping the socket', async () => {
    const connect = await sendRaw(s.port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
    expect(connect.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    const upgrade = await sendRaw(s.port, 'GET /api/v1/me HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(upgrade.status).toBe(404);
    expectSecurityHeaders(upgrade);
  });

  it('answers HEAD on every GET route of the contract like the GET, without the body', async () => {
    const gets = Object.entries(contract.paths).filter(([, item]) => item.get);
    const refs: Record<string, string> = {
      agents: agentId,
      sessions: '00000000-0000-4000-8000-000000000000',
      'api-keys': '00000000-0000-4000-8000-000000000000',
      workspaces: t.workspaceId,
    };
    for (const [template] of gets) {
      const path = '/api/v1' + template.replace(/\{id\}/, refs[template.split('/')[1]!]!);
      for (const key of [t.key, undefined]) {
        const auth = key ? `Authorization: Bearer ${key}\r\n` : '';
        const get = await sendRaw(s.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`);
        const head = await sendRaw(s.port, `HEAD ${path} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`);
        const context = `HEAD ${path} ${key ? 'with' : 'without'} a key`;
        expect(head.status, context).toBe(get.status);
        expect(head.text, context).toBe('');
        const names = (r: SocketAnswer) =>
          Object.keys(r.headers)
            .filter((n) => n !== 'date')
            .sort();
        expect(names(head), context).toEqual(names(get));
        expect(head.headers['content-type'], context).toBe(get.headers['content-type']);
        expect(Number(head.headers['content-length']), context).toBeGreaterThan(0);
      }
    }
  });
});

describe('bodies', () => {
  it('declares 413 on every operation, those without a body included, and a GET with a 140 KB body gets it (finding 11)', async () => {
    for (const item of Object.values(contract.paths)) {
      for (const method of ['get', 'post', 'patch', 'delete']) {
        if (item[method]) expect(Object.keys(item[method].responses), item[method].operationId).toContain('413');
      }
    }
    const res = await h.http
      .get('/api/v1/agents')
      .set(t.auth)
      .set('Content-Type', 'application/json')
      .send(`{"x":"${'a'.repeat(140 * 1024)}"}`);
    expectError(res, 'PAYLOAD_TOO_LARGE');
  });

  it('refuses numbers JSON cannot hold with 400, and stores nothing (finding 9)', async () => {
    const before = await h.db.prisma.agent.count({ where: { orgId: t.orgId } });
    for (const raw of [
      '{"name": "Huge", "settings": {"x": 1e400}}',
      '{"name": "Huge", "settings": {"x": -1e999}}',
      '{"name": "Huge", "settings": {"a": [1, 2, 1E+309]}}',
    ]) {
      const res = await h.http.post('/api/v1/agents').set(t.auth).set('Content-Type', 'application/json').send(raw);
      const error = expectError(res, 'BAD_REQUEST');
      expect(error.details?.[0]?.path).toMatch(/^body\.settings\./);
    }
    const patched = await h.http
      .patch(`/api/v1/agents/${agentId}`)
      .set(t.auth)
      .set('Content-Type', 'application/json')
      .send('{"settings": {"x": 1e400}}');
    expectError(patched, 'BAD_REQUEST');
    expect(await h.db.prisma.agent.count({ where: { orgId: t.orgId } })).toBe(before);
    // A large but finite number is kept as it was sent.
    const ok = await h.http
      .post('/api/v1/agents')
      .set(t.auth)
      .set('Content-Type', 'application/json')
      .send('{"name": "Big", "settings": {"x": 1e300}}');
    expect(ok.status).toBe(201);
    expect(ok.body.data.settings.x).toBe(1e300);
  });
});
