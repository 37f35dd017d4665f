import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectSuccess, UUID } from './helpers/envelope.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
});
afterAll(() => h.close());

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

describe('internal errors', () => {
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

      const res = await prod.http
        .get('/api/v1/workspaces')
        .set({ Authorization: `Bearer ${live}` })
        .set('X-Request-Id', 'trace-500-prod');
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
