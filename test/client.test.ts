import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  AlumiaError,
  createClient,
  isAlumiaError,
  type AlumiaClient,
  type AlumiaErrorCode,
  type ClientOptions,
} from '../client/src/index.js';
import { alumiaError, thrown } from './helpers/client-errors.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { flakyProxy, listen, unusedPort, type FlakyProxy, type Served } from './helpers/live-http.js';

// The client against the real server on real HTTP (no mocks): the app listens on an ephemeral port and a
// node:http proxy in front of it fails requests on purpose for the retry rules.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let h: Harness;
let server: Served;
let proxy: FlakyProxy;
beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app);
  proxy = await flakyProxy(server.url);
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
  await h?.close();
});

/** A client for `t`, straight to the server; no retry waits unless the test asks for them. */
const clientFor = (t: Tenant, options: ClientOptions = {}) =>
  createClient({ apiKey: t.key, baseUrl: server.url, retries: { baseDelayMs: 1 }, ...options });

describe('createClient', () => {
  it('talks to the server at baseUrl with or without /api/v1 and trailing slashes', async () => {
    const t = await h.tenant();
    for (const baseUrl of [server.url, `${server.url}/`, `${server.url}/api/v1`, `${server.url}/api/v1/`]) {
      const client = createClient({ apiKey: t.key, baseUrl });
      expect(client.baseUrl).toBe(`${server.url}/api/v1`);
      expect((await client.me()).org.id).toBe(t.orgId);
    }
  });

  it('falls back to ALUMIA_API_KEY and ALUMIA_BASE_URL when the options omit them', async () => {
    const t = await h.tenant();
    const saved = { key: process.env.ALUMIA_API_KEY, url: process.env.ALUMIA_BASE_URL };
    process.env.ALUMIA_API_KEY = t.key;
    process.env.ALUMIA_BASE_URL = server.url;
    try {
      const client = createClient();
      expect((await client.me()).org.id).toBe(t.orgId);
      // Options win over the environment.
      const other = await h.tenant();
      expect((await createClient({ apiKey: other.key }).me()).org.id).toBe(other.orgId);
    } finally {
      if (saved.key === undefined) delete process.env.ALUMIA_API_KEY;
      else process.env.ALUMIA_API_KEY = saved.key;
      if (saved.url === undefined) delete process.env.ALUMIA_BASE_URL;
      else process.env.ALUMIA_BASE_URL = saved.url;
    }
  });

  it('refuses to build a client without any API key', () => {
    const saved = process.env.ALUMIA_API_KEY;
    delete process.env.ALUMIA_API_KEY;
    try {
      expect(() => createClient({ baseUrl: server.url })).toThrow(/no API key/);
    } finally {
      if (saved !== undefined) process.env.ALUMIA_API_KEY = saved;
    }
  });
});

describe('every method resolves to the envelope data of the real server', () => {
  let t: Tenant;
  let client: AlumiaClient;
  beforeAll(async () => {
    t = await h.tenant();
    client = clientFor(t);
  });

  it('me() returns the identity behind the key', async () => {
    const me = await client.me();
    expect(me.org.id).toBe(t.orgId);
    expect(me.user).toMatchObject({ id: t.userId, email: t.email });
    expect(me.role).toBe('owner');
    expect(me.currentWorkspace?.id).toBe(t.workspaceId);
    expect(me.apiKey?.scopes).toEqual(['*']);
  });

  it('agents.create, get (by slug and by id), update, listPage, list and delete', async () => {
    const created = await client.agents.create({ name: 'Research Assistant', systemPrompt: 'You help with literature reviews.' });
    expect(created).toMatchObject({ name: 'Research Assistant', slug: 'research-assistant', workspaceId: t.workspaceId, isActive: true });
    expect(created.id).toMatch(UUID);
    expect(await client.agents.get('research-assistant')).toEqual(created);
    expect(await client.agents.get(created.id)).toEqual(created);

    const updated = await client.agents.update(created.id, { name: 'Literature Scout', description: 'Finds papers.' });
    expect(updated).toMatchObject({ id: created.id, name: 'Literature Scout', slug: 'research-assistant', description: 'Finds papers.' });

    const page = await client.agents.listPage();
    expect(page).toMatchObject({ limit: 100, hasMore: false, nextCursor: null });
    expect(page.items.map((a) => a.slug).sort()).toEqual(['ala', 'research-assistant']);
    const all = [];
    for await (const agent of client.agents.list()) all.push(agent.slug);
    expect(all).toEqual(page.items.map((a) => a.slug));

    expect(await client.agents.delete(created.id)).toEqual({ deleted: true });
    expect((await alumiaError(() => client.agents.get(created.id))).code).toBe('NOT_FOUND');
  });

  it('agents.sessions, sessionsPage, messages and peers', async () => {
    const scout = await client.agents.create({ name: uniq('Scout'), allowedPeers: ['ala'] });
    const session = await client.sessions.create({ title: 'Peer chat', agentIds: [scout.slug, 'ala'], metadata: { relationship: 'peer' } });
    const posted = await client.sessions.postMessage(session.id, { content: 'Numbers are in.', agentId: scout.slug });

    expect(await client.agents.peers(scout.slug)).toEqual({ items: [await client.agents.get('ala')] });
    const page = await client.agents.sessionsPage(scout.slug, { limit: 10 });
    expect(page.items.map((s) => s.id)).toEqual([session.id]);
    expect(await client.agents.sessions(scout.slug).toArray()).toEqual(page.items);

    const { items } = await client.agents.messages('ala', { limit: 5 });
    expect(items).toEqual([
      expect.objectContaining({ id: posted.id, content: 'Numbers are in.', fromAgentName: scout.name, isSelf: false }),
    ]);
    expect((await client.agents.messages(scout.slug)).items[0]).toMatchObject({ id: posted.id, isSelf: true });
  });

  it('sessions.create, get, listPage, list, postMessage, messagesPage, messages and delete', async () => {
    const session = await client.sessions.create({ title: 'Weekly sync', agentIds: ['ala'] });
    expect(session).toMatchObject({ title: 'Weekly sync', workspaceId: t.workspaceId });
    expect(await client.sessions.get(session.id)).toMatchObject({ id: session.id, title: 'Weekly sync' });

    const first = await client.sessions.postMessage(session.id, { content: 'first' });
    const second = await client.sessions.postMessage(session.id, { content: 'second', agentId: 'ala' }, { idempotencyKey: randomUUID() });
    expect(first).toMatchObject({ sessionId: session.id, userId: t.userId, agentId: null });
    expect(second).toMatchObject({ sessionId: session.id, userId: null });

    const page = await client.sessions.messagesPage(session.id, { limit: 1 });
    expect(page).toMatchObject({ limit: 1, hasMore: true });
    expect(page.items.map((m) => m.content)).toEqual(['first']);
    expect((await client.sessions.messages(session.id, { limit: 1 }).toArray()).map((m) => m.content)).toEqual(['first', 'second']);

    expect((await client.sessions.listPage()).items.map((s) => s.id)).toContain(session.id);
    expect((await client.sessions.list().toArray()).map((s) => s.id)).toContain(session.id);

    expect(await client.sessions.delete(session.id)).toEqual({ deleted: true });
    expect((await alumiaError(() => client.sessions.get(session.id))).code).toBe('NOT_FOUND');
  });

  it('sessions.update changes the title and replaces the metadata; list and listPage filter by agentId and relationship', async () => {
    const session = await client.sessions.create({ title: 'Draft', agentIds: ['ala'], metadata: { relationship: 'direct', topic: 'a' } });
    const renamed = await client.sessions.update(session.id, { title: 'Final' });
    expect(renamed).toMatchObject({ id: session.id, title: 'Final', metadata: { relationship: 'direct', topic: 'a' } });
    expect(Date.parse(renamed.updatedAt)).toBeGreaterThanOrEqual(Date.parse(session.updatedAt));
    const replaced = await client.sessions.update(session.id, { metadata: { relationship: 'group' } });
    expect(replaced).toMatchObject({ title: 'Final', metadata: { relationship: 'group' } });
    expect(replaced.metadata).not.toHaveProperty('topic');
    expect(await client.sessions.get(session.id)).toEqual(replaced);
    expect((await alumiaError(() => client.sessions.update(randomUUID(), { title: 'x' }))).code).toBe('NOT_FOUND');

    const scout = await client.agents.create({ name: uniq('Filter') });
    const peer = await client.sessions.create({ agentIds: [scout.id, 'ala'], metadata: { relationship: 'peer' } });
    const solo = await client.sessions.create({ agentIds: [scout.id], metadata: { relationship: 'direct' } });
    const ids = async (params: Parameters<typeof client.sessions.list>[0]) =>
      (await client.sessions.list(params).toArray()).map((s) => s.id).sort();
    expect(await ids({ agentId: scout.slug })).toEqual([peer.id, solo.id].sort());
    expect(await ids({ agentId: scout.id, relationship: 'peer' })).toEqual([peer.id]);
    expect(await ids({ relationship: 'group' })).toEqual([session.id]);
    // The filters stay on every page the iterator fetches.
    expect(await ids({ agentId: scout.id, limit: 1 })).toEqual([peer.id, solo.id].sort());
    expect((await client.sessions.listPage({ agentId: scout.id, relationship: 'direct' })).items.map((s) => s.id)).toEqual([solo.id]);
  });

  it('apiKeys.create shows the secret once, list shows the key, revoke stops it at once', async () => {
    const created = await client.apiKeys.create({ name: 'CI deploys', scopes: ['agents:read'] });
    expect(created.key).toMatch(/^alm_test_[0-9a-f]{48}$/);
    expect(created).toMatchObject({ name: 'CI deploys', scopes: ['agents:read'], revokedAt: null });

    const listed = await client.apiKeys.list().toArray();
    const row = listed.find((k) => k.id === created.id);
    expect(row).toBeDefined();
    expect(row).not.toHaveProperty('key');
    expect((await client.apiKeys.listPage({ limit: 1 })).items).toHaveLength(1);

    const minted = createClient({ apiKey: created.key, baseUrl: server.url });
    expect((await minted.agents.listPage()).items.length).toBeGreaterThan(0);
    const revoked = await client.apiKeys.revoke(created.id);
    expect(revoked.revokedAt).not.toBeNull();
    const refused = await alumiaError(() => minted.agents.listPage());
    expect(refused).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
  });

  it('models.list returns the catalog with exactly one default model', async () => {
    const { items } = await client.models.list();
    expect(items.length).toBeGreaterThan(1);
    expect(items.filter((m) => m.isDefault)).toHaveLength(1);
  });

  it("workspaces.list and get return the caller's workspace", async () => {
    const { items } = await client.workspaces.list();
    expect(items.map((w) => w.id)).toContain(t.workspaceId);
    expect((await client.workspaces.get(t.workspaceId)).id).toBe(t.workspaceId);
  });

  it('dashboard.overview counts what the other methods see', async () => {
    const overview = await client.dashboard.overview();
    const agents = await client.agents.list().toArray();
    expect(overview.agents.total).toBe(agents.length);
    expect(overview.sessions).toBe((await client.sessions.list().toArray()).length);
    expect(overview.recentAgents.map((a) => a.id)).toEqual(agents.slice(0, 5).map((a) => a.id));
  });
});

describe('pagination', () => {
  let t: Tenant;
  let client: AlumiaClient;
  let requests: string[];
  beforeAll(async () => {
    t = await h.tenant();
    requests = [];
    // A real fetch that records the URLs, to count pages.
    client = clientFor(t, {
      fetch: (input, init) => (requests.push(input instanceof Request ? input.url : String(input)), fetch(input, init)),
    });
    for (let i = 1; i <= 5; i++) await client.agents.create({ name: `Agent ${i}` });
  });

  it('list() follows nextCursor across every page of `limit` items, lazily', async () => {
    requests.length = 0;
    const iterator = client.agents.list({ limit: 2 });
    expect(requests).toHaveLength(0);

    const slugs: string[] = [];
    for await (const agent of iterator) slugs.push(agent.slug);
    // Five agents and Ala: three pages of two.
    expect(slugs).toHaveLength(6);
    expect(new Set(slugs).size).toBe(6);
    expect(requests).toHaveLength(3);
    expect(requests.every((u) => new URL(u).searchParams.get('limit') === '2')).toBe(true);
    expect(new URL(requests[0]!).searchParams.has('cursor')).toBe(false);
    expect(new URL(requests[1]!).searchParams.has('cursor')).toBe(true);
  });

  it('listPage() returns one page; walking nextCursor by hand gives the same items as list()', async () => {
    const first = await client.agents.listPage({ limit: 2 });
    expect(first).toMatchObject({ limit: 2, hasMore: true, nextCursor: expect.any(String) });
    expect(first.items).toHaveLength(2);
    const pages = [first];
    while (pages.at(-1)!.hasMore) pages.push(await client.agents.listPage({ limit: 2, cursor: pages.at(-1)!.nextCursor! }));
    expect(pages).toHaveLength(3);
    expect(pages.at(-1)).toMatchObject({ hasMore: false, nextCursor: null });
    const byHand = pages.flatMap((p) => p.items);
    expect(await client.agents.list({ limit: 2 }).toArray()).toEqual(byHand);

    const seen = [];
    for await (const page of client.agents.list({ limit: 4 }).pages()) seen.push(page.items.length);
    expect(seen).toEqual([4, 2]);
  });

  it('list({ cursor }) starts after the given cursor', async () => {
    const first = await client.agents.listPage({ limit: 2 });
    const rest = await client.agents.list({ limit: 2, cursor: first.nextCursor! }).toArray();
    expect(rest).toHaveLength(4);
    expect(rest.map((a) => a.id)).not.toContain(first.items[0]!.id);
  });
});

describe('AlumiaError', () => {
  let t: Tenant;
  let client: AlumiaClient;
  beforeAll(async () => {
    t = await h.tenant();
    client = clientFor(t);
  });

  it('carries code, status, message and the request id of a 404', async () => {
    const error = await alumiaError(() => client.agents.get('no-such-agent'));
    expect(error).toMatchObject({ name: 'AlumiaError', code: 'NOT_FOUND', status: 404, message: 'Agent not found' });
    expect(error.requestId).toMatch(UUID);
    expect(error.details).toEqual([]);
    expect(error.fromServer).toBe(true);
  });

  it('carries the offending fields in details on a 422', async () => {
    const error = await alumiaError(() => client.agents.create({ name: '   ' }));
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', status: 422 });
    expect(error.details).toEqual([expect.objectContaining({ path: 'body.name' })]);
  });

  it('is narrowable by code with isAlumiaError and with is()', async () => {
    const error = await thrown(() => client.agents.get('no-such-agent'));
    if (!isAlumiaError(error, 'NOT_FOUND')) throw new Error('expected NOT_FOUND');
    expectTypeOf(error.code).toEqualTypeOf<'NOT_FOUND'>();
    expect(error.code).toBe('NOT_FOUND');

    const other: unknown = await thrown(() => createClient({ apiKey: `alm_test_${'0'.repeat(48)}`, baseUrl: server.url }).me());
    expect(isAlumiaError(other, 'NOT_FOUND')).toBe(false);
    expect(isAlumiaError(other)).toBe(true);
    if (isAlumiaError(other, 'UNAUTHORIZED', 'FORBIDDEN')) {
      expectTypeOf(other.code).toEqualTypeOf<'UNAUTHORIZED' | 'FORBIDDEN'>();
      expect(other).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    } else throw new Error('expected an auth error');

    const generic = other as AlumiaError;
    expectTypeOf(generic.code).toEqualTypeOf<AlumiaErrorCode>();
    expect(generic.is('UNAUTHORIZED')).toBe(true);
    expect(generic.is('CONFLICT', 'NOT_FOUND')).toBe(false);
    expect(isAlumiaError(new Error('plain'))).toBe(false);
  });

  it('is FORBIDDEN for a key without the needed scope', async () => {
    const readOnly = createClient({ apiKey: await h.keyWithScopes(t, ['agents:read']), baseUrl: server.url });
    const error = await alumiaError(() => readOnly.agents.create({ name: 'Nope' }));
    expect(error).toMatchObject({ code: 'FORBIDDEN', status: 403 });
  });

  it('is NETWORK_ERROR with status 0 when nothing answers, after retrying the GET', async () => {
    const port = await unusedPort();
    const client = createClient({ apiKey: t.key, baseUrl: `http://127.0.0.1:${port}`, retries: { max: 1, baseDelayMs: 1 } });
    const error = await alumiaError(() => client.me());
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', status: 0, requestId: undefined, fromServer: false });
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('is INVALID_RESPONSE for an answer that is not the API envelope', async () => {
    const html = await listen((_req, res) => {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end('<html>Bad gateway</html>');
    });
    try {
      const error = await alumiaError(() => createClient({ apiKey: t.key, baseUrl: html.url }).me());
      expect(error).toMatchObject({ code: 'INVALID_RESPONSE', status: 502 });
      expect(error.message).toContain('Bad gateway');
    } finally {
      await html.close();
    }
  });
});
