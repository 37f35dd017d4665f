import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract } from '../server/contract.js';
import { createHttpServer } from '../server/http-server.js';
import { checkOperations } from '../server/routes/index.js';
import { handle, handlePublic, type Operations } from '../server/routes/handler.js';
import { expectError } from './helpers/envelope.js';
import { createAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { sendRaw, type SocketAnswer } from './helpers/raw-http.js';

/**
 * The pipeline fails closed: every request is placed in the contract by one matching rule before anything
 * runs, so no spelling of a path can reach a handler past auth, and nothing the pipeline cannot place is
 * anything but a 404 in the envelope.
 */

let h: Harness;
let t: Tenant;
let server: Server;
let port: number;
let ids: Record<string, string>;

beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  const agent = await createAgent(h, t, { name: 'Walked' });
  const session = (
    await h.http
      .post('/api/v1/sessions')
      .set(t.auth)
      .send({ agentIds: [agent.id] })
      .expect(201)
  ).body.data;
  const keys = (await h.http.get('/api/v1/api-keys').set(t.auth).expect(200)).body.data.items;
  const project = (await h.http.post('/api/v1/projects').set(t.auth).send({ name: 'Walked' }).expect(201)).body.data;
  const block = (
    await h.http
      .post(`/api/v1/projects/${project.id}/blocks`)
      .set(t.auth)
      .send({ type: 'text', content: { text: 'walked' } })
      .expect(201)
  ).body.data;
  ids = {
    agents: agent.id,
    sessions: session.id,
    'api-keys': keys[0].id,
    workspaces: t.workspaceId,
    projects: project.id,
    blockId: block.id,
    // A dashboard session's id: no key reaches it (browser-only), any UUID will do.
    auth: randomUUID(),
    // An invite's id (/org/invites/{id}) and a member's (/org/members/{userId}): browser-only, any will do.
    org: randomUUID(),
    userId: t.userId,
    // A session participant (/sessions/{id}/participants/{agentId}), a share link and its token (/share/{token}).
    agentId: agent.id,
    linkId: randomUUID(),
    token: 'A'.repeat(43),
    // A webhook endpoint (/webhooks/{id}), one of its deliveries, an activity row and an agent's trigger:
    // no row is needed for these checks (a missing one is a 404 behind auth), so any UUID will do.
    webhooks: randomUUID(),
    deliveryId: randomUUID(),
    activity: randomUUID(),
    triggerId: randomUUID(),
  };
  server = createHttpServer(h.app, h.config).server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

const ask = (method: string, target: string, options: { key?: string; body?: string; headers?: string[] } = {}): Promise<SocketAnswer> => {
  const headers = ['Host: 127.0.0.1', 'Connection: close', ...(options.headers ?? [])];
  if (options.key) headers.push(`Authorization: Bearer ${options.key}`);
  if (options.body !== undefined) headers.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(options.body)}`);
  return sendRaw(port, `${method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n${options.body ?? ''}`);
};

/** Every operation of the contract as a concrete path (ids of real rows) and whether each segment is literal. */
function contractRequests() {
  const out: Array<{ method: string; path: string; literal: boolean[]; isPublic: boolean }> = [];
  for (const [template, item] of Object.entries(contract.paths)) {
    const resource = template.split('/')[1]!;
    const segments = ['api', 'v1', ...template.split('/').filter(Boolean)];
    // `{id}` is a row of the path's resource; any other parameter is named for itself (`{blockId}`).
    const path = '/' + segments.map((s) => (s === '{id}' ? ids[resource] : s.startsWith('{') ? ids[s.slice(1, -1)] : s)).join('/');
    if (path.includes('//')) throw new Error(`contractRequests: no row for a parameter of ${template}: add it to ids`);
    for (const method of ['get', 'post', 'patch', 'delete']) {
      const op = item[method];
      if (op)
        out.push({
          method: method.toUpperCase(),
          path,
          literal: segments.map((s) => !s.startsWith('{')),
          isPublic: op.security?.length === 0,
        });
    }
  }
  return out;
}

const encodeFirst = (s: string) => `%${s.charCodeAt(0).toString(16).toUpperCase()}${s.slice(1)}`;
const capitalize = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** Spellings of `path` that change a literal segment: none of them addresses an operation. */
function literalVariants(path: string, literal: boolean[]): string[] {
  const segments = path.split('/').filter(Boolean);
  const variants = new Set<string>([
    path.toUpperCase(),
    `${path}/`,
    `/${path}`,
    path.replace('/api/v1/', '/api/v1//'),
    path.replace('/api/', '/api%2F'),
    path.replace('/api/v1/', '/api/v1/./'),
    path.replace('/api/v1/', '/api/v1/x/../'),
    `http://127.0.0.1${path.toUpperCase()}`,
  ]);
  // After a parameter these would only spell the parameter differently (the next test's case).
  if (literal[literal.length - 1]) for (const suffix of [';x=1', '%00', '%2F', '%20', '.json']) variants.add(path + suffix);
  segments.forEach((segment, i) => {
    if (!literal[i]) return;
    for (const changed of [capitalize(segment), segment.toUpperCase(), encodeFirst(segment)]) {
      if (changed !== segment) variants.add('/' + segments.map((s, j) => (j === i ? changed : s)).join('/'));
    }
  });
  variants.delete(path);
  return [...variants];
}

describe('one matching rule for the whole app (finding 1)', () => {
  it('refuses every case, encoding and slash variant of every contract path with 404 in the envelope, with and without a key', async () => {
    let checked = 0;
    for (const { method, path, literal } of contractRequests()) {
      const body = method === 'POST' || method === 'PATCH' ? '{}' : undefined;
      for (const variant of literalVariants(path, literal)) {
        for (const key of [undefined, t.key]) {
          const res = await ask(method, variant, { key, body });
          const context = `${method} ${variant} ${key ? 'with' : 'without'} a key: ${res.status} ${res.text.slice(0, 200)}`;
          expect(res.status, context).toBe(404);
          expectError({ status: res.status, headers: res.headers, body: res.body }, 'NOT_FOUND');
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(24 * 20);
  });

  it('answers every exact contract path without a key with 401, never a handler, a 200 or a 5xx; HEAD and absolute-form targets too', async () => {
    for (const { method, path, isPublic } of contractRequests()) {
      if (isPublic) continue; // the next test: a public operation runs without a key
      for (const [m, target] of [
        [method, path],
        [method, `http://127.0.0.1${path}`],
        ...(method === 'GET' ? [['HEAD', path]] : []),
      ] as const) {
        const res = await ask(m, target, { body: m === 'POST' || m === 'PATCH' ? '{}' : undefined });
        expect(res.status, `${m} ${target}: ${res.text.slice(0, 200)}`).toBe(401);
        if (m !== 'HEAD') expectError({ status: res.status, headers: res.headers, body: res.body }, 'UNAUTHORIZED');
      }
    }
  });

  it('runs the operations the contract marks public without a key, and still refuses a bad key on them with 401', async () => {
    const publicOps = contractRequests().filter((r) => r.isPublic);
    expect(publicOps.length).toBeGreaterThan(0);
    // Sign-in is guarded against login CSRF: as from the server's own page.
    const headers = ['Sec-Fetch-Site: same-origin'];
    for (const { method, path } of publicOps) {
      const body = method === 'POST' || method === 'PATCH' ? '{}' : undefined;
      const anonymous = await ask(method, path, { body, headers });
      // A shared project's read with a token that names no link: 404.
      expect([400, 404, 422], `${method} ${path}: ${anonymous.text.slice(0, 200)}`).toContain(anonymous.status);
      const badKey = await ask(method, path, { key: `alm_test_${'0'.repeat(48)}`, body, headers });
      expect(badKey.status, `${method} ${path} with an unknown key`).toBe(401);
    }
  });

  it('treats odd spellings of a parameter as that parameter: 401 without a key, never a 200 or a 5xx with one', async () => {
    let checked = 0;
    for (const { method, path, literal, isPublic } of contractRequests()) {
      if (literal[literal.length - 1] || isPublic) continue; // a public read by token needs no key: share-links.test.ts
      const body = method === 'POST' || method === 'PATCH' ? '{}' : undefined;
      for (const suffix of [';x=1', '%00', '%2F', '%2F..%2F', '%20', '.json', '%25', "'--"]) {
        const target = path + suffix;
        expect((await ask(method, target, { body })).status, `${method} ${target}`).toBe(401);
        const withKey = await ask(method, target, { key: t.key, body });
        expect([400, 403, 404, 422], `${method} ${target}: ${withKey.text.slice(0, 200)}`).toContain(withKey.status);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('resolves parameters, not literals, case-insensitively and percent-decoded: an agent by slug in any case', async () => {
    const agent = (await h.http.get(`/api/v1/agents/${ids.agents}`).set(t.auth).expect(200)).body.data;
    for (const ref of [agent.slug.toUpperCase(), encodeFirst(agent.slug), ids.agents!.toUpperCase()]) {
      const res = await ask('GET', `/api/v1/agents/${ref}`, { key: t.key });
      expect(res.status, ref).toBe(200);
      expect((res.body as { data: { id: string } }).data.id).toBe(agent.id);
    }
    expectError(await h.http.get('/api/v1/agents/%E0%A4%A').set(t.auth), 'NOT_FOUND');
  });

  it('never answers 5xx to odd methods, targets or request lines, with or without a key', async () => {
    const targets = [
      '*',
      '/',
      '/api',
      '/api/v1',
      '/api/v1/',
      '/API/v1/me',
      '/api/v1/me?x=%ZZ',
      '//',
      '/%',
      '/api/v1/%zz',
      `/api/v1/${'a'.repeat(8_000)}`,
    ];
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'PROPFIND', 'get', 'HEAD']) {
      for (const target of targets) {
        for (const key of [undefined, t.key]) {
          const res = await ask(method, target, { key });
          const context = `${method} ${target.slice(0, 40)}: ${res.status} ${res.text.slice(0, 120)}`;
          expect(res.status, context).toBeGreaterThanOrEqual(400);
          expect(res.status, context).toBeLessThan(500);
          if (method !== 'HEAD') expect(String(res.headers['content-type']), context).toMatch(/^application\/json/);
        }
      }
    }
  });
});

describe('handlers are the contract operations, each exactly as public as the contract says', () => {
  it('refuses to build with a handler the contract does not have, or an operation without one', () => {
    expect(() => checkOperations({ ...allOperations(), notInTheContract: handle(200, () => ({}) as never) })).toThrow(
      /notInTheContract has no operation/,
    );
    const missing = Object.fromEntries(Object.entries(allOperations()).filter(([id]) => id !== 'getAgent'));
    expect(() => checkOperations(missing)).toThrow(/getAgent has no handler/);
    // Browser-only operations too: none is left to a 404 at run time.
    const noCreateWorkspace = Object.fromEntries(Object.entries(allOperations()).filter(([id]) => id !== 'createWorkspace'));
    expect(() => checkOperations(noCreateWorkspace)).toThrow(/createWorkspace has no handler/);
  });

  it('refuses to build when a protected operation has a public handler', () => {
    expect(() => checkOperations({ ...allOperations(), getMe: handlePublic(200, () => ({}) as never) })).toThrow(/getMe is protected/);
  });

  it('builds with the real handlers', () => {
    expect(() => checkOperations(allOperations())).not.toThrow();
  });
});

/** A stand-in handler for every operation of the contract, as public as the contract says. */
function allOperations(): Operations {
  const ops: Operations = {};
  for (const item of Object.values(contract.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[method];
      if (op) ops[op.operationId] = (op.security?.length === 0 ? handlePublic : handle)(200, () => ({}) as never);
    }
  }
  return ops;
}

describe('keys hidden by percent-encoding (finding 8)', () => {
  it('are redacted in the access log and never echoed in a message, however they are encoded', async () => {
    const secret = randomBytes(24).toString('hex');
    const forms = [
      `alm%5Ftest%5F${secret}`,
      `alm%5ftest%5f${secret}`,
      `%61lm_test_${secret}`,
      `alm%255Ftest%255F${secret}`,
      `alm%5Ftest%5F${secret}&x=%ZZ`,
      `alm_test_${secret.slice(0, 24)}%${secret.charCodeAt(24).toString(16)}${secret.slice(25)}`,
    ];
    const logStart = h.logs.length;
    for (const form of forms) {
      const inQuery = await ask('GET', `/api/v1/me?api_key=${form}`, { key: t.key });
      expect(inQuery.status).toBe(400);
      const inPath = await ask('GET', `/api/v1/${form}`, { key: t.key });
      expectError({ status: inPath.status, headers: inPath.headers, body: inPath.body }, 'NOT_FOUND');
      for (const res of [inQuery, inPath]) expect(res.text).not.toContain(secret.slice(0, 16));
    }
    const logs = h.logs.slice(logStart).join('\n');
    expect(logs).toContain('/api/v1/me?api_key=');
    for (let i = 0; i + 16 <= secret.length; i += 8) expect(logs).not.toContain(secret.slice(i, i + 16));
  });

  it('does not echo unbounded request text: a long path is cut in the 404 message', async () => {
    const res = await h.http.get(`/api/v1/${'x'.repeat(5_000)}`).set(t.auth);
    const error = expectError(res, 'NOT_FOUND');
    expect(error.message.length).toBeLessThan(200);
  });
});

describe('failed authentication is throttled per client address', () => {
  it('refuses an address with 429 and Retry-After once it sent AUTH_FAILURE_LIMIT_PER_MINUTE bad keys, before any lookup; other addresses go on', async () => {
    const { http } = await h.rebuild({ DISABLE_RATE_LIMIT: '', AUTH_FAILURE_LIMIT_PER_MINUTE: '5', TRUST_PROXY: 'true' });
    const from = (ip: string, key?: string) => {
      const req = http.get('/api/v1/me').set('X-Forwarded-For', ip);
      return key ? req.set('Authorization', `Bearer ${key}`) : req;
    };
    const wrong = () => `alm_test_${randomBytes(24).toString('hex')}`;
    // A missing key is not a guess: it never fills the bucket.
    for (let i = 0; i < 8; i++) expectError(await from('203.0.113.7'), 'UNAUTHORIZED');
    for (let i = 0; i < 5; i++) expectError(await from('203.0.113.7', wrong()), 'UNAUTHORIZED');
    const refused = await from('203.0.113.7', wrong());
    expectError(refused, 'TOO_MANY_REQUESTS');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Until the minute is over even a valid key from that address is refused (documented).
    expectError(await from('203.0.113.7', t.key), 'TOO_MANY_REQUESTS');
    expect((await from('198.51.100.9', t.key)).status).toBe(200);
    expectError(await from('198.51.100.9', wrong()), 'UNAUTHORIZED');
  });
});

describe('a handler cannot run without a caller, by construction', () => {
  it("types a protected handler's caller as always there and a public handler's as possibly absent (checked by tsc)", () => {
    const protectedHandler = handle(200, ({ caller }) => caller.orgId as never);
    // @ts-expect-error a public handler has to check for its caller before using it
    const publicHandler = handlePublic(200, ({ caller }) => caller.orgId as never);
    expect([protectedHandler.isPublic, publicHandler.isPublic]).toEqual([false, true]);
  });
});
