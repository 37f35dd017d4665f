import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded } from '../server/db/database.js';
import { appOver, openEmbeddedCopy, startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { httpClient, type HttpClient, type RawAnswer, type RawRequest } from './helpers/http-client.js';
import { listen } from './helpers/raw-http.js';

/**
 * Transport headers on every kind of answer, over real HTTP: helmet's security headers, no X-Powered-By,
 * CORS off unless CORS_ORIGINS lists origins, and then granted to those origins only.
 */

/** The helmet headers this API promises, with the value (or shape) each must have. */
const HELMET: Record<string, RegExp> = {
  // 'none' on the static redirect of /docs, which is stricter still.
  'content-security-policy': /default-src '(self|none)'/,
  'cross-origin-opener-policy': /^same-origin$/,
  'cross-origin-resource-policy': /^same-origin$/,
  'origin-agent-cluster': /^\?1$/,
  'referrer-policy': /^no-referrer$/,
  'strict-transport-security': /^max-age=\d{7,}; includeSubDomains$/,
  'x-content-type-options': /^nosniff$/,
  'x-dns-prefetch-control': /^off$/,
  'x-download-options': /^noopen$/,
  'x-frame-options': /^SAMEORIGIN$/,
  'x-permitted-cross-domain-policies': /^none$/,
  'x-xss-protection': /^0$/,
};

let h: Harness;
let t: Tenant;
const servers: Array<{ close(): Promise<void> }> = [];
const clients: HttpClient[] = [];

async function serve(app: Parameters<typeof listen>[0]) {
  const s = await listen(app);
  servers.push(s);
  const c = httpClient(s.port);
  clients.push(c);
  return c;
}

let api: HttpClient;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  api = await serve(h.app);
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.close();
  await h?.close();
});

/** The owner's key; a placeholder in tables built before the tenant exists, filled in by `withKey`. */
const auth = () => ({ authorization: `Bearer ${t?.key ?? '__KEY__'}` });
const withKey = (req: RawRequest): RawRequest =>
  req.headers?.authorization === 'Bearer __KEY__' ? { ...req, headers: { ...req.headers, authorization: `Bearer ${t.key}` } } : req;

/** One request of every kind of answer the server gives: successes, each family of error, docs, health. */
function everyKindOfAnswer(): Array<[string, RawRequest]> {
  const json = { ...auth(), 'content-type': 'application/json' };
  return [
    ['200 JSON', { method: 'GET', path: '/api/v1/me', headers: auth() }],
    ['201 JSON', { method: 'POST', path: '/api/v1/agents', headers: json, body: '{"name":"Headers"}' }],
    ['400 bad JSON', { method: 'POST', path: '/api/v1/agents', headers: json, body: '{"name":' }],
    ['401 no key', { method: 'GET', path: '/api/v1/me' }],
    ['403 browser-only', { method: 'POST', path: '/api/v1/workspaces', headers: json, body: '{"name":"w"}' }],
    ['404 unknown route', { method: 'GET', path: '/nope' }],
    ['404 unknown API route', { method: 'GET', path: '/api/v1/nope', headers: auth() }],
    ['404 missing row', { method: 'GET', path: '/api/v1/agents/nobody', headers: auth() }],
    ['404 unsupported method', { method: 'PUT', path: '/api/v1/me', headers: json, body: '{}' }],
    ['413 too large', { method: 'POST', path: '/api/v1/agents', headers: json, body: `{"name":"${'x'.repeat(140_000)}"}` }],
    ['422 out of range', { method: 'GET', path: '/api/v1/agents?limit=0', headers: auth() }],
    ['healthz', { method: 'GET', path: '/healthz' }],
    ['readyz', { method: 'GET', path: '/readyz' }],
    ['openapi.json', { method: 'GET', path: '/api/v1/openapi.json' }],
    ['openapi.yaml', { method: 'GET', path: '/api/v1/openapi.yaml' }],
    ['docs', { method: 'GET', path: '/docs/' }],
    ['docs redirect', { method: 'GET', path: '/docs' }],
    ['docs missing file', { method: 'GET', path: '/docs/nope.js' }],
  ];
}

function expectSecurityHeaders(label: string, res: RawAnswer) {
  for (const [name, value] of Object.entries(HELMET)) {
    expect(res.headers[name], `${label} (${res.status}): ${name}`).toMatch(value);
  }
  expect(res.headers['x-powered-by'], `${label}: X-Powered-By`).toBeUndefined();
}

describe('security headers', () => {
  it.each(everyKindOfAnswer())('%s carries every helmet header and no X-Powered-By', async (label, req) => {
    const res = await api.send(withKey(req));
    expectSecurityHeaders(label, res);
  });

  it('every kind of answer was exercised (the table above is not all 200s)', async () => {
    const statuses = new Set<number>();
    for (const [, req] of everyKindOfAnswer()) statuses.add((await api.send(withKey(req))).status);
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 201, 301, 400, 401, 403, 404, 413, 422]));
  });

  it('a 503 (database down) carries them too', async () => {
    const pglite = await openEmbeddedCopy();
    const db = await openEmbedded(pglite, { timeoutMs: 1000, poolSize: 1 });
    await pglite.close();
    const down = await serve(appOver(db).app);
    for (const req of [
      { method: 'GET', path: '/readyz' },
      { method: 'GET', path: '/api/v1/me', headers: { authorization: `Bearer alm_test_${randomBytes(24).toString('hex')}` } },
    ]) {
      const res = await down.send(req);
      expect(res.status).toBe(503);
      expectSecurityHeaders(`503 ${req.path}`, res);
    }
  });

  it('a production app sends them as well', async () => {
    const prod = await serve((await h.rebuild({ NODE_ENV: 'production' })).app);
    for (const [label, req] of everyKindOfAnswer().filter(([l]) => !l.startsWith('20')))
      expectSecurityHeaders(`production ${label}`, await prod.send(withKey(req)));
  });
});

// ---------------------------------------------------------------------------------------------------

const ORIGIN = 'https://app.example';
const preflight = (origin: string, method = 'POST', headers = 'authorization, content-type, idempotency-key'): RawRequest => ({
  method: 'OPTIONS',
  path: '/api/v1/agents',
  headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
});
const corsHeaders = (h: IncomingHttpHeaders) => Object.keys(h).filter((k) => k.startsWith('access-control-'));

describe('CORS is off by default', () => {
  it('a cross-origin request gets no Access-Control-* header at all, on success and on error', async () => {
    for (const req of [
      { method: 'GET', path: '/api/v1/me', headers: { ...auth(), origin: ORIGIN } },
      { method: 'GET', path: '/api/v1/me', headers: { origin: ORIGIN } },
      { method: 'GET', path: '/healthz', headers: { origin: 'null' } },
    ]) {
      const res = await api.send(req);
      expect(corsHeaders(res.headers), `${req.path} ${res.status}`).toEqual([]);
    }
  });

  it('a preflight is not granted: 404 in the envelope and no Access-Control-* header', async () => {
    const res = await api.send(preflight(ORIGIN));
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('NOT_FOUND');
    expect(corsHeaders(res.headers)).toEqual([]);
    expectSecurityHeaders('preflight', res);
  });
});

describe('CORS_ORIGINS allowlist', () => {
  let cors: HttpClient;
  beforeAll(async () => {
    cors = await serve((await h.rebuild({ CORS_ORIGINS: `${ORIGIN}, https://admin.example` })).app);
  });

  it('grants a listed origin: Access-Control-Allow-Origin echoes it (never *), Vary: Origin, no credentials', async () => {
    for (const origin of [ORIGIN, 'https://admin.example']) {
      for (const req of [
        { method: 'GET', path: '/api/v1/me', headers: { ...auth(), origin } },
        { method: 'GET', path: '/api/v1/me', headers: { origin } },
        { method: 'GET', path: '/api/v1/nope', headers: { ...auth(), origin } },
      ]) {
        const res = await cors.send(req);
        expect(res.headers['access-control-allow-origin'], `${origin} ${req.path}`).toBe(origin);
        expect(String(res.headers.vary)).toMatch(/Origin/i);
        expect(res.headers['access-control-allow-credentials']).toBeUndefined();
        expect(String(res.headers['access-control-expose-headers'])).toMatch(/X-Request-Id/i);
        expectSecurityHeaders(`cors ${req.path}`, res);
      }
    }
  });

  it('a preflight from a listed origin allows Authorization, Content-Type and Idempotency-Key and the API methods', async () => {
    const res = await cors.send(preflight(ORIGIN));
    expect(res.status).toBeLessThan(300);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    const allowed = String(res.headers['access-control-allow-headers'])
      .toLowerCase()
      .split(/\s*,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']));
    const methods = String(res.headers['access-control-allow-methods'])
      .toUpperCase()
      .split(/\s*,\s*/);
    expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PATCH', 'DELETE']));
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it.each([
    ['another site', 'https://evil.example'],
    ['a suffix trick', 'https://app.example.evil.example'],
    ['a prefix trick', 'https://evil-app.example'],
    ['another scheme', 'http://app.example'],
    ['another port', 'https://app.example:8443'],
    ['the null origin', 'null'],
    ['a wildcard', '*'],
  ])('refuses %s (%s): no Access-Control-Allow-Origin on requests or preflights', async (_label, origin) => {
    const simple = await cors.send({ method: 'GET', path: '/api/v1/me', headers: { ...auth(), origin } });
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await cors.send(preflight(origin));
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a listed origin still needs a key: CORS grants reading the answer, not access', async () => {
    const res = await cors.send({ method: 'GET', path: '/api/v1/agents', headers: { origin: ORIGIN } });
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
  });
});

describe('idle keep-alive connections', () => {
  // A load balancer reuses idle connections for up to its own idle timeout (60 s on most); the server must
  // keep them open longer, or a request sent as it closes one is reset.
  it('stay open for KEEP_ALIVE_TIMEOUT_MS (default 65 s, advertised in Keep-Alive), then close', async () => {
    const { createConnection } = await import('node:net');
    const { createHttpServer } = await import('../server/http-server.js');
    const { loadConfig } = await import('../server/config.js');
    expect(loadConfig({}).keepAliveTimeoutMs).toBe(65_000);
    const { server } = createHttpServer(h.app, { ...h.config, keepAliveTimeoutMs: 1_500 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const socket = createConnection({ port, host: '127.0.0.1' });
      let data = '';
      let closedAt = 0;
      socket.on('data', (c: Buffer) => (data += c.toString()));
      socket.on('close', () => (closedAt = performance.now()));
      const ask = async () => {
        const before = data.length;
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
        while (!data.slice(before).includes('"status":"ok"')) await sleep(10);
        return data.slice(before);
      };
      expect(await ask()).toMatch(/\r\nKeep-Alive: timeout=1\r\n/i);
      await sleep(1_000);
      expect(closedAt).toBe(0);
      expect(await ask()).toMatch(/^HTTP\/1\.1 200 /);
      const idleFrom = performance.now();
      await sleep(2_500);
      expect(closedAt).toBeGreaterThan(idleFrom + 1_000);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('requests Node cannot parse', () => {
  it('still get the JSON envelope: 400 BAD_REQUEST with a request id, and the connection closes', async () => {
    const { createConnection } = await import('node:net');
    const { createHttpServer } = await import('../server/http-server.js');
    const { server } = createHttpServer(h.app, h.config);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = createConnection({ port, host: '127.0.0.1' });
        let data = '';
        socket.on('data', (c: Buffer) => (data += c.toString()));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
        socket.write('GET /api/v1/me HTTP/1.1\r\nHost: x\r\nBad Header: value\r\n\r\n');
      });
      const [head, body] = raw.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 400 /);
      expect(head).toMatch(/\r\nConnection: close/i);
      const requestId = /\r\nX-Request-Id: (\S+)/i.exec(head!)?.[1];
      expect(JSON.parse(body!)).toEqual({
        success: false,
        error: { code: 'BAD_REQUEST', message: expect.stringContaining('not valid HTTP'), requestId },
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
