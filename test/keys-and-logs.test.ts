import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { httpClient, type HttpClient, type RawAnswer } from './helpers/http-client.js';
import { listen } from './helpers/raw-http.js';

/**
 * API keys and logs, beyond test/auth.test.ts and test/api-keys.test.ts (which cover one minted key in
 * the database, the Authorization header in logs, env mismatches and revocation through the API):
 * - no plaintext key anywhere in the database after minting keys every way there is, the idempotent
 *   replay of a mint included;
 * - no key, nor its 48-hex secret, in any log line or error message after a whole session of requests
 *   that put keys everywhere a client might (query string, path, headers), failing ones included;
 * - a revoked or expired key fails on the very next request, however warm it was;
 * - X-Request-Id is sanitized before it is echoed or logged: the response header and the log line carry
 *   the same generated UUID, and the raw value is nowhere in the logs.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;
let client: HttpClient;
let t: Tenant;

beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app);
  client = httpClient(server.port);
  t = await h.tenant();
});
afterAll(async () => {
  client?.close();
  await server?.close();
  await h?.close();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const send = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
  client.send({
    method,
    path,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** The key, its 48-hex secret, and every 16-character window of the secret: none may appear. */
function fragments(key: string): string[] {
  const secret = key.slice(-48);
  const windows = [];
  for (let i = 0; i + 16 <= secret.length; i += 4) windows.push(secret.slice(i, i + 16));
  return [key, secret, ...windows];
}

/** Every row of every table, as JSON text (every column of every type). */
async function everyRow(): Promise<Array<{ table: string; text: string }>> {
  const tables = await h.db.prisma.$queryRaw<Array<{ table_name: string }>>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
  const out: Array<{ table: string; text: string }> = [];
  for (const { table_name } of tables) {
    const rows = await h.db.prisma.$queryRawUnsafe<Array<{ j: string }>>(`SELECT row_to_json(x)::text AS j FROM "${table_name}" x`);
    for (const { j } of rows) out.push({ table: table_name, text: j });
  }
  return out;
}

describe('no plaintext key in the database', () => {
  it('after minting keys every way: bootstrap, the data layer, the API, a live key, and an idempotent mint and its replay', async () => {
    const keys: string[] = [t.key];
    keys.push((await h.tenant()).key);
    keys.push(await h.mintKey(t, { name: 'data layer' }));
    keys.push(await h.mintKey(t, { env: 'live', name: 'live' }));
    for (let i = 0; i < 3; i++) {
      const res = await send('POST', '/api/v1/api-keys', bearer(t.key), { name: `api ${i}`, scopes: ['agents:read'] });
      expect(res.status, res.text).toBe(201);
      keys.push(res.json.data.key);
    }
    const idem = { ...bearer(t.key), 'idempotency-key': `mint-${randomBytes(4).toString('hex')}` };
    const first = await send('POST', '/api/v1/api-keys', idem, { name: 'idempotent' });
    expect(first.status, first.text).toBe(201);
    keys.push(first.json.data.key);
    const replay = await send('POST', '/api/v1/api-keys', idem, { name: 'idempotent' });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    // The idempotency record exists, so the scan below covers it.
    expect(await h.db.prisma.idempotencyKey.count({ where: { key: idem['idempotency-key'] } })).toBe(1);

    const rows = await everyRow();
    const tablesSeen = new Set(rows.map((r) => r.table));
    for (const table of ['ApiKey', 'IdempotencyKey', 'User', 'Organization', 'Membership']) expect([...tablesSeen]).toContain(table);
    for (const key of keys) {
      expect(key).toMatch(/^alm_(live|test)_[0-9a-f]{48}$/);
      for (const fragment of fragments(key)) {
        const hit = rows.find((r) => r.text.includes(fragment));
        expect(hit && `${hit.table}: ${hit.text.slice(0, 300)}`, `a fragment of ${key.slice(0, 12)}... is stored`).toBeUndefined();
      }
    }
  });

  it('still replays an idempotent mint to the key that made it, with the same secret, and never to another key', async () => {
    const idem = `mint-${randomBytes(4).toString('hex')}`;
    const first = await send('POST', '/api/v1/api-keys', { ...bearer(t.key), 'idempotency-key': idem }, { name: 'sealed' });
    expect(first.status, first.text).toBe(201);
    const again = await send('POST', '/api/v1/api-keys', { ...bearer(t.key), 'idempotency-key': idem }, { name: 'sealed' });
    expect(again.status).toBe(201);
    expect(again.json).toEqual(first.json);
    // Records belong to the key that made them: another key of the same organization reusing the
    // Idempotency-Key mints a key of its own and never sees the first one's secret.
    const other = await h.mintKey(t, { name: 'other caller' });
    const stranger = await send('POST', '/api/v1/api-keys', { ...bearer(other), 'idempotency-key': idem }, { name: 'sealed' });
    expect(stranger.status, stranger.text).toBe(201);
    expect(stranger.headers['idempotent-replayed']).toBeUndefined();
    expect(stranger.json.data.id).not.toBe(first.json.data.id);
    expect(stranger.text).not.toContain(first.json.data.key.slice(-48));
    expect(await h.db.prisma.apiKey.count({ where: { orgId: t.orgId, name: 'sealed' } })).toBe(2);
  });
});

describe('no key in logs or error messages', () => {
  it('after a session that puts keys everywhere a client might, failing requests included', async () => {
    const owner = await h.tenant();
    const minted = await send('POST', '/api/v1/api-keys', bearer(owner.key), { name: 'session' });
    const revoked = await h.mintKey(owner, { name: 'revoked' });
    await h.db.prisma.apiKey.updateMany({ where: { orgId: owner.orgId, name: 'revoked' }, data: { revokedAt: new Date() } });
    const expired = await h.mintKey(owner, { name: 'expired', expiresAt: new Date(Date.now() - 1000) });
    const live = await h.mintKey(owner, { env: 'live', name: 'live' });
    const never = `alm_test_${randomBytes(24).toString('hex')}`;
    const keys = [owner.key, minted.json.data.key as string, revoked, expired, live, never];
    const logStart = h.logs.length;
    const answers: RawAnswer[] = [];
    const go = async (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
      answers.push(await send(method, path, headers, body));

    for (const key of keys) {
      await go('GET', '/api/v1/me', bearer(key));
      await go('GET', '/api/v1/agents', { authorization: `bearer ${key}` });
      await go('GET', '/api/v1/me', { authorization: `Bearer ${key}x` });
      await go('GET', '/api/v1/me', { authorization: `Bearer ${key.slice(0, -1)}` });
      await go('GET', '/api/v1/me', { authorization: `Bearer ${key.toUpperCase()}` });
      await go('GET', '/api/v1/me', { authorization: `Basic ${Buffer.from(`u:${key}`).toString('base64')}` });
      await go('GET', '/api/v1/me', { authorization: key });
      // Keys where they do not belong: query string, path, request id, idempotency key, other headers.
      await go('GET', `/api/v1/agents?api_key=${key}`, bearer(owner.key));
      await go('GET', `/api/v1/agents?key=${key}&limit=${key}`);
      await go('GET', `/api/v1/agents/${key}`, bearer(owner.key));
      await go('GET', `/api/v1/${key}`);
      await go('GET', `/${key}/../api/v1/me`);
      await go('DELETE', `/api/v1/api-keys/${key}`, bearer(owner.key));
      await go('GET', '/api/v1/me', { ...bearer(owner.key), 'x-request-id': key });
      await go('POST', '/api/v1/agents', { ...bearer(owner.key), 'idempotency-key': key }, { name: 5 });
      await go('GET', '/api/v1/me', { 'x-api-key': key, cookie: `session=${key}` });
      await go('POST', '/api/v1/api-keys', bearer(owner.key), { name: 'x', scopes: [key] });
      await go('POST', '/api/v1/api-keys', bearer(owner.key), { name: 'x', [key]: 1 });
      await go('POST', '/api/v1/sessions', bearer(owner.key), { agentIds: [key] });
      await go('PATCH', `/api/v1/agents/ala`, bearer(owner.key), { model: key });
    }
    // The server's own 500 path logs the error with its cause: make one happen with a key in flight.
    const prod = await h.rebuild({ NODE_ENV: 'production' });
    const prodServer = await listen(prod.app);
    const prodClient = httpClient(prodServer.port);
    try {
      for (const key of keys) {
        answers.push(await prodClient.send({ method: 'GET', path: `/api/v1/me?k=${key}`, headers: bearer(key) }));
        answers.push(await prodClient.send({ method: 'GET', path: '/api/v1/me', headers: { ...bearer(key), 'x-request-id': key } }));
      }
    } finally {
      prodClient.close();
      await prodServer.close();
    }

    const logs = h.logs.slice(logStart).join('\n');
    // The requests were logged, so the absence below means something.
    expect(logs).toContain('/api/v1/me');
    expect(logs).toContain('/api/v1/agents?api_key=');
    for (const key of keys) {
      for (const fragment of [key, key.slice(-48)]) {
        expect(logs.includes(fragment), `the logs contain ${fragment.slice(0, 12)}...`).toBe(false);
      }
    }
    // No error message (or detail) repeats a key or its secret.
    const errors = answers.filter((a) => a.status >= 400);
    expect(errors.length).toBeGreaterThan(keys.length * 15);
    for (const a of errors) {
      for (const key of keys) {
        expect(a.text.includes(key.slice(-48)), `${a.status} ${a.text.slice(0, 300)}`).toBe(false);
        expect(JSON.stringify(a.headers).includes(key.slice(-48)), `${a.status} headers ${JSON.stringify(a.headers)}`).toBe(false);
      }
    }
  });
});

describe('revoked and expired keys fail at once', () => {
  it('a key revoked through the API is refused on the very next request, however often it was used before', async () => {
    const owner = await h.tenant();
    const minted = (await send('POST', '/api/v1/api-keys', bearer(owner.key), { name: 'warm' })).json.data;
    for (let i = 0; i < 20; i++) expect((await send('GET', '/api/v1/agents', bearer(minted.key))).status).toBe(200);
    expect((await send('DELETE', `/api/v1/api-keys/${minted.id}`, bearer(owner.key))).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const res = await send('GET', '/api/v1/agents', bearer(minted.key));
      expect(res.status).toBe(401);
      expect(res.json.error.message).toMatch(/revoked/);
    }
  });

  it('a key revoked while requests are in flight is refused by every request sent after the revoke was answered', async () => {
    const owner = await h.tenant();
    const minted = (await send('POST', '/api/v1/api-keys', bearer(owner.key), { name: 'busy' })).json.data;
    const busy = httpClient(server.port, { maxSockets: 4 });
    let revokedAt = 0;
    const after: number[] = [];
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const sentAt = Date.now();
        const res = await busy.send({ method: 'GET', path: '/api/v1/me', headers: bearer(minted.key) });
        if (revokedAt > 0 && sentAt > revokedAt) after.push(res.status);
      }
    };
    const loops = [loop(), loop(), loop()];
    await sleep(200);
    expect((await send('DELETE', `/api/v1/api-keys/${minted.id}`, bearer(owner.key))).status).toBe(200);
    revokedAt = Date.now();
    await sleep(300);
    stop = true;
    await Promise.all(loops);
    busy.close();
    expect(after.length).toBeGreaterThan(0);
    expect(new Set(after)).toEqual(new Set([401]));
  });

  it('a key expires to the millisecond: accepted before expiresAt, refused right after, without a restart', async () => {
    const owner = await h.tenant();
    const expiresAt = new Date(Date.now() + 1500);
    const minted = (await send('POST', '/api/v1/api-keys', bearer(owner.key), { name: 'short', expiresAt: expiresAt.toISOString() })).json
      .data;
    for (let i = 0; i < 5; i++) expect((await send('GET', '/api/v1/me', bearer(minted.key))).status).toBe(200);
    await sleep(Math.max(0, expiresAt.getTime() - Date.now() + 5));
    const res = await send('GET', '/api/v1/me', bearer(minted.key));
    expect(res.status).toBe(401);
    expect(res.json.error.message).toMatch(/expired/);
  });
});

describe('X-Request-Id is sanitized before it is echoed or logged', () => {
  /** The log line pino-http wrote for the request whose answer carried this id. */
  const logLineFor = (id: string) => h.logs.map((l) => JSON.parse(l)).find((l) => l.req?.id === id && l.res);

  const unsafe: Array<[string, string]> = [
    ['overlong (129 characters)', 'a'.repeat(129)],
    ['overlong (8 KB)', 'b'.repeat(8 * 1024)],
    ['spaces', 'a b c'],
    ['a tab', 'a\tb'],
    ['percent-encoded CR/LF', 'abc%0d%0aSet-Cookie:%20x=1'],
    ['quotes and braces', '"},{"level":60,"msg":"forged'],
    ['latin-1 bytes (unicode sent as bytes)', Buffer.from('ümlaut', 'utf8').toString('latin1')],
    ['an API key', `alm_test_${randomBytes(24).toString('hex')}`],
    ['two ids joined by the parser', 'a, b'],
    ['empty', ''],
  ];

  it.each(unsafe)(
    '%s: replaced by a fresh UUID in the header, the error body and the log line; the raw value is logged nowhere',
    async (_name, value) => {
      const logStart = h.logs.length;
      for (const path of ['/api/v1/me', '/api/v1/nope']) {
        const res = await send('GET', path, { ...bearer(t.key), 'x-request-id': value });
        const id = res.headers['x-request-id'] as string;
        expect(id).toMatch(UUID);
        if (res.status >= 400) expect(res.json.error.requestId).toBe(id);
        expect(logLineFor(id), `no log line for ${id}`).toBeDefined();
      }
      if (value.length >= 3) expect(h.logs.slice(logStart).join('\n')).not.toContain(value);
    },
  );

  it('CR or LF inside the header never reaches the app: the HTTP parser refuses the request, nothing is logged or injected', async () => {
    const logStart = h.logs.length;
    for (const raw of [
      'X-Request-Id: abc\r\n def',
      'X-Request-Id: a\rSet-Cookie: x=1',
      'X-Request-Id: a\nSet-Cookie: x=1',
      'X-Request-Id: a\u0000b',
    ]) {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () =>
          socket.end(`GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.key}\r\n${raw}\r\nConnection: close\r\n\r\n`),
        );
        let data = '';
        socket.on('data', (c: Buffer) => (data += c.toString()));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
      });
      expect(answer.split('\r\n')[0], JSON.stringify(raw)).toBe('HTTP/1.1 400 Bad Request');
      expect(answer.toLowerCase()).not.toContain('set-cookie');
    }
    await sleep(50);
    expect(h.logs.slice(logStart)).toEqual([]);
  });

  it.each([['abc-123'], ['trace.id:42_x'], ['A'.repeat(128)], ['7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f']])(
    'a sane id (%s) is echoed in the header, the error body and the log line',
    async (value) => {
      for (const path of ['/api/v1/me', '/api/v1/nope']) {
        const res = await send('GET', path, { ...bearer(t.key), 'x-request-id': value });
        expect(res.headers['x-request-id']).toBe(value);
        if (res.status >= 400) expect(res.json.error.requestId).toBe(value);
      }
      const lines = h.logs.map((l) => JSON.parse(l)).filter((l) => l.req?.id === value && l.res);
      expect(lines.length).toBeGreaterThanOrEqual(2);
    },
  );
});
