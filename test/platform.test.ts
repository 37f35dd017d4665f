import { randomBytes, randomUUID } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { openEmbedded, openPostgres, type Database } from '../server/db/database.js';
import { expectError, expectInvalid, expectSuccess, UUID } from './helpers/envelope.js';
import { appOver, openEmbeddedCopy, startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { listen, sendChunks, sendStreaming } from './helpers/raw-http.js';

const CAP = 128 * 1024;
/** A well-formed key that matches no row: enough to reach the database. */
const someKey = () => `Bearer alm_test_${randomBytes(24).toString('hex')}`;

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
});
afterAll(() => h.close());

const keyCount = (orgId: string) => h.db.prisma.apiKey.count({ where: { orgId } });

/** Fails the test instead of hanging when `p` does not settle within `ms`. */
async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe('envelope and unknown routes', () => {
  it('wraps a success as { success: true, data }', async () => {
    const data = expectSuccess(await h.http.get('/api/v1/me').set(t.auth));
    expect(data.org.id).toBe(t.orgId);
  });

  it('answers an unknown route under /api/v1 with 404 NOT_FOUND in the envelope, with or without a key', async () => {
    expectError(await h.http.get('/api/v1/nope'), 'NOT_FOUND');
    expectError(await h.http.get('/api/v1/nope').set(t.auth), 'NOT_FOUND');
    expectError(await h.http.post('/api/v1/nope/deeper').set(t.auth).send({ a: 1 }), 'NOT_FOUND');
    expectError(await h.http.get(`/api/v1/api-keys/${t.workspaceId}/extra`).set(t.auth), 'NOT_FOUND');
  });

  it('answers an unknown route outside /api/v1 with the JSON envelope, never an HTML page', async () => {
    for (const res of [await h.http.get('/nope'), await h.http.post('/').send({}), await h.http.delete('/api/v2/me')]) {
      expectError(res, 'NOT_FOUND');
      expect(res.text).not.toMatch(/<html|<pre>|Cannot (GET|POST|DELETE)/i);
    }
  });

  it('answers a method a known path does not support with 404 NOT_FOUND (this API has no 405)', async () => {
    expectError(await h.http.put('/api/v1/me').set(t.auth).send({}), 'NOT_FOUND');
    expectError(await h.http.patch('/api/v1/api-keys').set(t.auth).send({}), 'NOT_FOUND');
    expectError(await h.http.delete('/api/v1/api-keys').set(t.auth), 'NOT_FOUND');
    expectError(await h.http.post('/api/v1/models').set(t.auth).send({}), 'NOT_FOUND');
    // Without a key too: the route does not exist, so there is nothing to authenticate for.
    expectError(await h.http.put('/api/v1/me'), 'NOT_FOUND');
  });
});

describe('X-Request-Id', () => {
  it('echoes a sane incoming id on success and on errors, where it equals error.requestId', async () => {
    const ok = await h.http.get('/api/v1/me').set(t.auth).set('X-Request-Id', 'abc-123');
    expect(ok.status).toBe(200);
    expect(ok.headers['x-request-id']).toBe('abc-123');
    const err = await h.http.get('/api/v1/nope').set('X-Request-Id', 'abc-123');
    expect(expectError(err, 'NOT_FOUND').requestId).toBe('abc-123');
  });

  it('accepts 128 characters of A-Z a-z 0-9 . _ : - and no more', async () => {
    const max = 'aZ0._:-'.repeat(19).slice(0, 128);
    expect((await h.http.get('/healthz').set('X-Request-Id', max)).headers['x-request-id']).toBe(max);
    const long = (await h.http.get('/healthz').set('X-Request-Id', 'a'.repeat(129))).headers['x-request-id'];
    expect(long).toMatch(UUID);
  });

  it('replaces an id with unsafe characters by a generated UUID', async () => {
    for (const bad of ['<script>', 'a b', 'abc;rm', '{"x":1}', 'ümlaut']) {
      const res = await h.http.get('/api/v1/nope').set('X-Request-Id', bad);
      const error = expectError(res, 'NOT_FOUND');
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(error.requestId).toBe(res.headers['x-request-id']);
    }
  });

  it('generates a fresh UUID for every request that sends none, on every kind of answer', async () => {
    const answers = [
      await h.http.get('/healthz'),
      await h.http.get('/api/v1/me').set(t.auth),
      await h.http.get('/api/v1/me'),
      await h.http.get('/nope'),
      await h.http.post('/api/v1/api-keys').set(t.auth).send({}),
    ];
    const ids = answers.map((r) => r.headers['x-request-id']);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of answers.filter((r) => r.status >= 400)) expectError(r, r.body.error.code);
  });
});

describe('validation: shape errors are 400 BAD_REQUEST, naming the field', () => {
  it('malformed JSON', async () => {
    const res = await h.http.post('/api/v1/api-keys').set(t.auth).set('Content-Type', 'application/json').send('{"name":');
    expectInvalid(res, 'BAD_REQUEST', ['body']);
  });

  it('no body, or an empty one, where a body is required', async () => {
    expectError(await h.http.post('/api/v1/api-keys').set(t.auth), 'BAD_REQUEST');
    const empty = await h.http.post('/api/v1/api-keys').set(t.auth).set('Content-Type', 'application/json').send('');
    expect(expectError(empty, 'BAD_REQUEST').details).toBeDefined();
  });

  it('a body that is not an object', async () => {
    for (const raw of ['null', '[]', '"name"', '42']) {
      const res = await h.http.post('/api/v1/api-keys').set(t.auth).set('Content-Type', 'application/json').send(raw);
      expectInvalid(res, 'BAD_REQUEST', ['body']);
    }
  });

  it('a missing required field', async () => {
    expectInvalid(await h.http.post('/api/v1/api-keys').set(t.auth).send({ scopes: ['*'] }), 'BAD_REQUEST', ['body.name']);
  });

  it('a wrong type, in the body and in the query', async () => {
    expectInvalid(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 5 }), 'BAD_REQUEST', ['body.name']);
    expectInvalid(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'k', scopes: 'agents:read' }), 'BAD_REQUEST', ['body.scopes']);
    expectInvalid(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'k', expiresAt: 123 }), 'BAD_REQUEST', ['body.expiresAt']);
    expectInvalid(await h.http.get('/api/v1/api-keys?limit=abc').set(t.auth), 'BAD_REQUEST', ['query.limit']);
  });

  it('unknown properties such as orgId, id and deletedAt are rejected, never applied', async () => {
    const before = await keyCount(t.orgId);
    const res = await h.http
      .post('/api/v1/api-keys')
      .set(t.auth)
      .send({ name: 'sneaky', orgId: randomUUID(), id: randomUUID(), deletedAt: null });
    const error = expectInvalid(res, 'BAD_REQUEST', ['body.orgId', 'body.id', 'body.deletedAt']);
    expect(error.details![0]!.path).toBe('body.orgId');
    for (const field of ['orgId', 'id', 'deletedAt']) {
      const one = await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'sneaky', [field]: 'x' });
      expectInvalid(one, 'BAD_REQUEST', [`body.${field}`]);
    }
    expect(await keyCount(t.orgId)).toBe(before);
  });

  it('an unknown query parameter', async () => {
    expectInvalid(await h.http.get('/api/v1/api-keys?orgId=x').set(t.auth), 'BAD_REQUEST', ['query.orgId']);
  });

  it('a shape error next to a range error is still 400', async () => {
    const res = await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'x'.repeat(101), orgId: 'x' });
    expectInvalid(res, 'BAD_REQUEST', ['body.name', 'body.orgId']);
  });

  it('a body that is not JSON at all', async () => {
    expectError(await h.http.post('/api/v1/api-keys').set(t.auth).set('Content-Type', 'text/plain').send('name=k'), 'BAD_REQUEST');
    expectError(await h.http.post('/api/v1/api-keys').set(t.auth).type('form').send({ name: 'k' }), 'BAD_REQUEST');
    expectError(await h.http.post('/api/v1/api-keys').set(t.auth).set('Content-Type', 'application/xml').send('<name>k</name>'), 'BAD_REQUEST');
  });
});

describe('validation: well-typed values out of range are 422 VALIDATION_ERROR, naming the field', () => {
  it('maxLength on name', async () => {
    const before = await keyCount(t.orgId);
    expectInvalid(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'x'.repeat(101) }), 'VALIDATION_ERROR', ['body.name']);
    expect(await keyCount(t.orgId)).toBe(before);
  });

  it('minimum and maximum on limit', async () => {
    expectInvalid(await h.http.get('/api/v1/api-keys?limit=0').set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
    expectInvalid(await h.http.get('/api/v1/api-keys?limit=101').set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
    expectSuccess(await h.http.get('/api/v1/api-keys?limit=100').set(t.auth));
    expectSuccess(await h.http.get('/api/v1/api-keys?limit=1').set(t.auth));
  });

  it('enum, minItems and uniqueItems on scopes', async () => {
    expectInvalid(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'k', scopes: ['root'] }), 'VALIDATION_ERROR', ['body.scopes.0']);
    expectInvalid(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'k', scopes: [] }), 'VALIDATION_ERROR', ['body.scopes']);
    const dup = await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'k', scopes: ['keys:read', 'keys:read'] });
    expectInvalid(dup, 'VALIDATION_ERROR', ['body.scopes']);
  });

  it('format date-time on expiresAt', async () => {
    // Calendar-checked, not just shaped: month 13, February 30 and a leap second that Date cannot hold.
    for (const expiresAt of ['tomorrow', '2030-01-01', '2030-13-01T00:00:00Z', '2030-02-30T00:00:00Z', '2030-06-30T23:59:60Z']) {
      const res = await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'k', expiresAt });
      expectInvalid(res, 'VALIDATION_ERROR', ['body.expiresAt']);
    }
  });

  it('format uuid on a path id', async () => {
    expectInvalid(await h.http.get('/api/v1/workspaces/not-a-uuid').set(t.auth), 'VALIDATION_ERROR', ['path.id']);
    expectInvalid(await h.http.delete('/api/v1/api-keys/123').set(t.auth), 'VALIDATION_ERROR', ['path.id']);
  });

  it('pattern and length on a cursor', async () => {
    expectInvalid(await h.http.get('/api/v1/api-keys?cursor=a.b').set(t.auth), 'VALIDATION_ERROR', ['query.cursor']);
    expectInvalid(await h.http.get(`/api/v1/api-keys?cursor=${'a'.repeat(513)}`).set(t.auth), 'VALIDATION_ERROR', ['query.cursor']);
  });
});

describe('body caps (128 KB by default)', () => {
  /** `{"name":"cap"}` padded with whitespace to exactly `size` bytes: valid JSON of a chosen length. */
  const padded = (size: number) => {
    const head = '{"name":"cap"';
    return head + ' '.repeat(size - head.length - 1) + '}';
  };

  it('accepts a body of exactly 128 KB and refuses one byte more with 413 PAYLOAD_TOO_LARGE', async () => {
    const atCap = await h.http.post('/api/v1/api-keys').set(t.auth).set('Content-Type', 'application/json').send(padded(CAP));
    expectSuccess(atCap, 201);
    const before = await keyCount(t.orgId);
    const over = await h.http.post('/api/v1/api-keys').set(t.auth).set('Content-Type', 'application/json').send(padded(CAP + 1));
    expectError(over, 'PAYLOAD_TOO_LARGE');
    expect(await keyCount(t.orgId)).toBe(before);
  });

  it('refuses a Content-Length over the cap without reading the body', async () => {
    const server = await listen(h.app);
    try {
      // Declares 10 MB but sends 1 KB and waits: only a server that trusts the header can answer.
      const res = await within(
        10_000,
        new Promise<{ status: number; body: string; headers: IncomingHttpHeaders }>((resolve, reject) => {
          const req = request({
            host: '127.0.0.1',
            port: server.port,
            method: 'POST',
            path: '/api/v1/api-keys',
            agent: false,
            headers: { ...t.auth, 'Content-Type': 'application/json', 'Content-Length': String(10 * 1024 * 1024) },
          });
          req.on('response', (r) => {
            let text = '';
            r.on('data', (c) => (text += c));
            r.on('end', () => {
              req.destroy();
              resolve({ status: r.statusCode!, body: text, headers: r.headers });
            });
          });
          req.on('error', reject);
          req.write(`{"name":"${'x'.repeat(1024)}`);
        }),
      );
      expectError({ ...res, body: JSON.parse(res.body) }, 'PAYLOAD_TOO_LARGE');
    } finally {
      await server.close();
    }
  });

  it('cuts off a chunked body as soon as it streams past the cap, without reading the rest', async () => {
    const server = await listen(h.app);
    try {
      const before = await keyCount(t.orgId);
      const total = 32 * 1024 * 1024;
      const res = await within(
        20_000,
        sendStreaming({ port: server.port, path: '/api/v1/api-keys', headers: { ...t.auth, 'Content-Type': 'application/json' }, total }),
      );
      expectError(res, 'PAYLOAD_TOO_LARGE');
      // The answer came while we were still sending: the server stopped reading instead of draining 32 MB.
      expect(res.bodyFinished).toBe(false);
      expect(res.sent).toBeLessThan(total);
      expect(await keyCount(t.orgId)).toBe(before);
    } finally {
      await server.close();
    }
  });

  it('accepts a small chunked body (no Content-Length) outside production', async () => {
    const server = await listen(h.app);
    try {
      const res = await sendChunks({
        port: server.port,
        path: '/api/v1/api-keys',
        headers: { ...t.auth, 'Content-Type': 'application/json' },
        chunks: ['{"name":', '"chunked"}'],
      });
      expect(res.headers['content-length']).toBeDefined();
      expect(expectSuccess(res, 201).name).toBe('chunked');
    } finally {
      await server.close();
    }
  });
});

describe('production mode', () => {
  it('answers a POST without Content-Length with 411 LENGTH_REQUIRED and creates nothing', async () => {
    const prod = await h.rebuild({ NODE_ENV: 'production' });
    const live = await h.mintKey(t, { env: 'live' });
    const server = await listen(prod.app);
    try {
      const before = await keyCount(t.orgId);
      const headers = { Authorization: `Bearer ${live}`, 'Content-Type': 'application/json' };
      const chunked = await sendChunks({ port: server.port, path: '/api/v1/api-keys', headers, chunks: ['{"name":', '"prod"}'] });
      expectError(chunked, 'LENGTH_REQUIRED');
      expect(await keyCount(t.orgId)).toBe(before);
      // The same request with a Content-Length goes through and mints a live key.
      const body = '{"name":"prod"}';
      const sized = await sendChunks({
        port: server.port,
        path: '/api/v1/api-keys',
        headers: { ...headers, 'Content-Length': String(body.length) },
        chunks: [body],
      });
      expect(expectSuccess(sized, 201).key).toMatch(/^alm_live_[0-9a-f]{48}$/);
    } finally {
      await server.close();
    }
  });

  it('answers 500 with the generic message in production and a descriptive one otherwise, logged with the request id', async () => {
    // A database of its own, since the table is dropped for good.
    const broken = await startHarness();
    try {
      const owner = await broken.tenant();
      const live = await broken.mintKey(owner, { env: 'live' });
      const prod = await broken.rebuild({ NODE_ENV: 'production' });
      await broken.db.prisma.$executeRawUnsafe('DROP TABLE "Workspace" CASCADE');

      const dev = await broken.http.get('/api/v1/workspaces').set(owner.auth).set('X-Request-Id', 'trace-500-dev');
      const devError = expectError(dev, 'INTERNAL_ERROR');
      expect(devError.message).not.toBe('Internal server error');
      expect(devError.message).toMatch(/Workspace/);
      expect(devError.details).toBeUndefined();

      const res = await prod.http.get('/api/v1/workspaces').set({ Authorization: `Bearer ${live}` }).set('X-Request-Id', 'trace-500-prod');
      const prodError = expectError(res, 'INTERNAL_ERROR');
      expect(prodError).toEqual({ code: 'INTERNAL_ERROR', message: 'Internal server error', requestId: 'trace-500-prod' });

      // Both failures are logged at error level with the request id and the real cause.
      for (const id of ['trace-500-dev', 'trace-500-prod']) {
        const lines = broken.logs.map((l) => JSON.parse(l)).filter((l) => l.requestId === id && l.level >= 50);
        expect(lines.length, broken.logs.join('\n')).toBeGreaterThan(0);
        expect(JSON.stringify(lines)).toMatch(/Workspace/);
      }
    } finally {
      await broken.close();
    }
  });
});

describe('database unreachable: 503 SERVICE_UNAVAILABLE, bounded, and /readyz 503', () => {
  const expectUnavailable = async (db: Database) => {
    const { http } = appOver(db);
    const me = await within(10_000, http.get('/api/v1/me').set('Authorization', someKey()).then((r) => r));
    expectError(me, 'SERVICE_UNAVAILABLE');
    expect(me.headers['retry-after']).toBeDefined();
    expectError(await within(10_000, http.get('/readyz').then((r) => r)), 'SERVICE_UNAVAILABLE');
    // Liveness does not touch the database.
    expectSuccess(await http.get('/healthz'));
  };

  it('when nothing listens on the database port', async () => {
    const db = await openPostgres('postgresql://postgres@127.0.0.1:1/x', { timeoutMs: 1000, poolSize: 2 });
    try {
      await expectUnavailable(db);
    } finally {
      await db.close();
    }
  });

  it('when the database accepts connections but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const db = await openPostgres(`postgresql://postgres@127.0.0.1:${port}/x`, { timeoutMs: 1000, poolSize: 2 });
    try {
      await expectUnavailable(db);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await db.close().catch(() => {});
    }
  });

  it('when the embedded database is closed underneath the app', async () => {
    const pglite = await openEmbeddedCopy();
    const db = await openEmbedded(pglite, { timeoutMs: 1000, poolSize: 1 });
    await pglite.close();
    await expectUnavailable(db);
  });

  // Only a real server can go away and come back, or hold a lock, so these exist on PostgreSQL runs only.
  const recoveryTest = inject('postgres') ? it : undefined;

  recoveryTest?.('when a statement waits past a timeout (a table lock held elsewhere), never 500', async () => {
    const dbName = new URL(h.url!).pathname.slice(1);
    const locker = new pg.Client({ connectionString: h.url });
    await locker.connect();
    const attempt = async (times: number) => {
      // A new pool each time, so new connections pick up the database's settings.
      const db = await openPostgres(h.url!, { timeoutMs: 1000, poolSize: 2 });
      try {
        const { http } = appOver(db);
        for (let i = 0; i < times; i++) {
          expectError(await within(10_000, http.get('/api/v1/me').set(t.auth).then((r) => r)), 'SERVICE_UNAVAILABLE');
        }
      } finally {
        await db.close();
      }
    };
    try {
      // An operator's lock_timeout (shorter than ours) fails the wait first, deterministically.
      await locker.query(`ALTER DATABASE "${dbName}" SET lock_timeout = '200ms'`);
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE "ApiKey" IN ACCESS EXCLUSIVE MODE');
      await attempt(1);
      await locker.query('ROLLBACK');
      // Without it, our server-side statement timeout and client-side query timeout race; both are a 503.
      await locker.query(`ALTER DATABASE "${dbName}" RESET lock_timeout`);
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE "ApiKey" IN ACCESS EXCLUSIVE MODE');
      await attempt(3);
      await locker.query('ROLLBACK');
      const db = await openPostgres(h.url!, { timeoutMs: 1000, poolSize: 2 });
      expectSuccess(await appOver(db).http.get('/api/v1/me').set(t.auth));
      await db.close();
    } finally {
      await locker.end();
    }
  });

  recoveryTest?.('recovers by itself when PostgreSQL comes back', async () => {
    const target = new URL(h.url!);
    let up = true;
    const open = new Set<Socket>();
    const proxy: Server = createServer((client) => {
      open.add(client);
      client.on('close', () => open.delete(client));
      client.on('error', () => {});
      if (!up) return void client.destroy();
      const upstream = connect(Number(target.port || 5432), target.hostname);
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const viaProxy = new URL(h.url!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String((proxy.address() as { port: number }).port);
    const db = await openPostgres(viaProxy.toString(), { timeoutMs: 1000, poolSize: 2 });
    try {
      const { http } = appOver(db);
      expectSuccess(await http.get('/api/v1/me').set(t.auth));
      // The database goes away: live connections drop and new ones are refused.
      up = false;
      for (const s of open) s.destroy();
      expectError(await within(10_000, http.get('/api/v1/me').set(t.auth).then((r) => r)), 'SERVICE_UNAVAILABLE');
      expectError(await within(10_000, http.get('/readyz').then((r) => r)), 'SERVICE_UNAVAILABLE');
      // It comes back: the next requests succeed without a restart.
      up = true;
      expectSuccess(await http.get('/readyz'));
      expectSuccess(await http.get('/api/v1/me').set(t.auth));
    } finally {
      await db.close().catch(() => {});
      for (const s of open) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe('request logs', () => {
  it('writes one JSON line per request with its id, method, url, route, status and duration', async () => {
    await h.http.get('/api/v1/me').set(t.auth).set('X-Request-Id', 'log-line-check');
    await h.http.get('/api/v1/nope').set('X-Request-Id', 'log-line-check-404');
    const lines = h.logs.map((l) => JSON.parse(l));
    expect(lines.find((l) => l.req?.id === 'log-line-check')).toMatchObject({
      req: { id: 'log-line-check', method: 'GET', url: '/api/v1/me' },
      route: 'getMe',
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
    expect(lines.find((l) => l.req?.id === 'log-line-check-404')).toMatchObject({ res: { statusCode: 404 } });
  });
});

describe('health, contract and docs', () => {
  it('GET /healthz answers 200 without a key', async () => {
    expect(expectSuccess(await h.http.get('/healthz'))).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 when the database answers', async () => {
    expect(expectSuccess(await h.http.get('/readyz'))).toEqual({ status: 'ready' });
  });

  it('GET /api/v1/openapi.json serves the contract without a key', async () => {
    const res = await h.http.get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/me', '/workspaces', '/workspaces/{id}', '/api-keys', '/api-keys/{id}', '/models']));
  });

  it('GET /api/v1/openapi.yaml serves the same contract as YAML without a key', async () => {
    const [yaml, json] = await Promise.all([h.http.get('/api/v1/openapi.yaml'), h.http.get('/api/v1/openapi.json')]);
    expect(yaml.status).toBe(200);
    expect(yaml.headers['content-type']).toMatch(/^application\/yaml/);
    expect(parseYaml(yaml.text)).toEqual(json.body);
  });

  it('/docs serves the rendered reference as HTML without a key', async () => {
    const res = await h.http.get('/docs/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(/<html/i);
    expect(res.text).toContain('Alumia');
    // The bare path redirects to the directory.
    const bare = await h.http.get('/docs').redirects(0);
    expect([200, 301, 302]).toContain(bare.status);
  });

  it('sends helmet security headers and no X-Powered-By, on successes and errors alike', async () => {
    for (const res of [await h.http.get('/api/v1/me').set(t.auth), await h.http.get('/nope'), await h.http.get('/api/v1/me')]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['content-security-policy']).toBeDefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});
