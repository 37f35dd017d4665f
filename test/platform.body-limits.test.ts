import { request, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { listen, sendChunks, sendStreaming, within } from './helpers/raw-http.js';

const CAP = 128 * 1024;

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
});
afterAll(() => h.close());

const keyCount = (orgId: string) => h.db.prisma.apiKey.count({ where: { orgId } });

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
    const over = await h.http
      .post('/api/v1/api-keys')
      .set(t.auth)
      .set('Content-Type', 'application/json')
      .send(padded(CAP + 1));
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
});
