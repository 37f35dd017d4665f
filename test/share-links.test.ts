import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashShareToken } from '../server/domain/share-links.js';
import { givePassword, signIn } from './helpers/browser-session.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API, createAgent, createSession } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
let t: Tenant;
let cookie: Record<string, string>;
let projectId: string;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  cookie = (await signIn(h.http, t.email, await givePassword(h, t))).headers;
  const project = expectSuccess(
    await h.http.post(`${API}/projects`).set(t.auth).send({ name: 'Launch <plan>', description: 'Q3 & more' }),
    201,
  );
  projectId = project.id;
  const block = (type: string, content: object) => h.http.post(`${API}/projects/${projectId}/blocks`).set(t.auth).send({ type, content });
  expectSuccess(await block('heading', { text: 'Goals', level: 1 }), 201);
  expectSuccess(await block('text', { text: 'First <script>alert(1)</script> paragraph' }), 201);
  expectSuccess(await block('code', { code: 'npm run build', language: 'sh' }), 201);
  const agent = await createAgent(h, t, { name: 'Hidden Helper', description: 'distinct-agent-marker' });
  expectSuccess(await block('agent', { agentId: agent.id }), 201);
  // Distinctive rows elsewhere in the same org that the page must never show.
  expectSuccess(await h.http.post(`${API}/projects`).set(t.auth).send({ name: 'other-project-marker' }), 201);
  await createSession(h, t, { title: 'other-session-marker', agentIds: [agent.id] });
});
afterAll(() => h.close());

const create = (body: object = {}, headers = cookie) => h.http.post(`${API}/projects/${projectId}/share-links`).set(headers).send(body);
const tokenOf = (url: string) => url.split('/share/')[1]!;

describe('share links', () => {
  it('a stepped-up dashboard session creates one; its url carries a 43-character token stored only as a hash', async () => {
    const link = expectSuccess(await create(), 201);
    expect(link.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/share\/[A-Za-z0-9_-]{43}$/);
    const token = tokenOf(link.url);
    const row = await h.db.prisma.shareLink.findUniqueOrThrow({ where: { id: link.id } });
    expect(row.tokenHash).toBe(hashShareToken(token));
    expect(JSON.stringify(row)).not.toContain(token);
    // Listed without the token.
    const list = expectSuccess(await h.http.get(`${API}/projects/${projectId}/share-links`).set(t.auth));
    expect(list.items.find((l: { id: string }) => l.id === link.id)).toEqual({
      id: link.id,
      projectId,
      createdAt: link.createdAt,
      expiresAt: null,
      revokedAt: null,
      createdBy: t.userId,
    });
    expect(JSON.stringify(list)).not.toContain(token);
  });

  it('refuses API keys (403) for create and revoke, and changes nothing', async () => {
    const before = await h.db.prisma.shareLink.count();
    expectError(await create({}, t.auth), 'FORBIDDEN');
    const link = expectSuccess(await create(), 201);
    expectError(await h.http.delete(`${API}/projects/${projectId}/share-links/${link.id}`).set(t.auth), 'FORBIDDEN');
    expect(await h.http.get(`/share/${tokenOf(link.url)}`).then((r) => r.status)).toBe(200);
    expect(await h.db.prisma.shareLink.count()).toBe(before + 1);
  });

  it('the page shows the project and its blocks in order, escaped, and nothing else of the org', async () => {
    const link = expectSuccess(await create(), 201);
    const res = await h.http.get(`/share/${tokenOf(link.url)}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-robots-tag']).toBe('noindex');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    const html = res.text;
    expect(html).toContain('Launch &lt;plan&gt;');
    expect(html).toContain('Q3 &amp; more');
    expect(html).not.toContain('<script');
    const order = ['Goals', 'First &lt;script&gt;', 'npm run build', 'An agent card'].map((s) => html.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    for (const secret of [
      'other-project-marker',
      'other-session-marker',
      'Hidden Helper',
      'distinct-agent-marker',
      t.email,
      t.orgId,
      t.orgSlug,
      projectId,
    ]) {
      expect(html).not.toContain(secret);
    }
    // The JSON twin holds the same, and no ids.
    const data = expectSuccess(await h.http.get(`${API}/share/${tokenOf(link.url)}`));
    expect(data.name).toBe('Launch <plan>');
    expect(data.blocks.map((b: { type: string }) => b.type)).toEqual(['heading', 'text', 'code', 'agent']);
    expect(data.blocks[3].content).toEqual({});
    expect(JSON.stringify(data)).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('revoke stops the link at once (404 page and JSON), and a repeat answers the same', async () => {
    const link = expectSuccess(await create(), 201);
    const token = tokenOf(link.url);
    const del = () => h.http.delete(`${API}/projects/${projectId}/share-links/${link.id}`).set(cookie);
    expect(expectSuccess(await del())).toEqual({ deleted: true });
    expect(expectSuccess(await del())).toEqual({ deleted: true });
    const page = await h.http.get(`/share/${token}`);
    expect(page.status).toBe(404);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).not.toContain('Launch');
    expectError(await h.http.get(`${API}/share/${token}`), 'NOT_FOUND');
    const listed = expectSuccess(await h.http.get(`${API}/projects/${projectId}/share-links`).set(t.auth));
    expect(listed.items.find((l: { id: string }) => l.id === link.id).revokedAt).not.toBeNull();
    const kinds = await h.db.prisma.activity.findMany({ where: { orgId: t.orgId, summary: { contains: 'share link' } } });
    expect(kinds.filter((a) => a.summary.includes('revoked'))).toHaveLength(1);
  });

  it('an expired link answers 404; an expiry in the past is refused with 422', async () => {
    expectError(await create({ expiresAt: new Date(Date.now() - 1000).toISOString() }), 'VALIDATION_ERROR');
    const link = expectSuccess(await create({ expiresAt: new Date(Date.now() + 3_600_000).toISOString() }), 201);
    expect((await h.http.get(`/share/${tokenOf(link.url)}`)).status).toBe(200);
    await h.db.prisma.shareLink.update({ where: { id: link.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await h.http.get(`/share/${tokenOf(link.url)}`)).status).toBe(404);
    expectError(await h.http.get(`${API}/share/${tokenOf(link.url)}`), 'NOT_FOUND');
  });

  it('unknown tokens and a deleted project answer the same 404 page', async () => {
    const link = expectSuccess(await create(), 201);
    const unknown = await h.http.get(`/share/${'A'.repeat(43)}`);
    expect(unknown.status).toBe(404);
    expect((await h.http.get('/share/not%20a%20token')).status).toBe(404);
    const other = expectSuccess(await h.http.post(`${API}/projects`).set(t.auth).send({ name: 'Doomed' }), 201);
    const doomed = expectSuccess(await h.http.post(`${API}/projects/${other.id}/share-links`).set(cookie).send({}), 201);
    expectSuccess(await h.http.delete(`${API}/projects/${other.id}`).set(t.auth));
    const gone = await h.http.get(`/share/${tokenOf(doomed.url)}`);
    expect(gone.status).toBe(404);
    expect(gone.text).toBe(unknown.text);
    expect((await h.http.get(`/share/${tokenOf(link.url)}`)).status).toBe(200);
  });

  it("another org's project answers 404 to a stepped-up session and its key, and gets no link", async () => {
    const other = await h.tenant();
    const otherCookie = (await signIn(h.http, other.email, await givePassword(h, other))).headers;
    const before = await h.db.prisma.shareLink.count();
    expectError(await create({}, otherCookie), 'NOT_FOUND');
    expectError(await h.http.get(`${API}/projects/${projectId}/share-links`).set(other.auth), 'NOT_FOUND');
    const link = expectSuccess(await create(), 201);
    expectError(await h.http.delete(`${API}/projects/${projectId}/share-links/${link.id}`).set(otherCookie), 'NOT_FOUND');
    expect(await h.db.prisma.shareLink.count()).toBe(before + 1);
  });

  it('rate-limits the page per client address', async () => {
    const limited = await h.rebuild({ DISABLE_RATE_LIMIT: '', SHARE_LIMIT_PER_MINUTE: '2' });
    for (let i = 0; i < 2; i++) expect((await limited.http.get(`/share/${'B'.repeat(43)}`)).status).toBe(404);
    const res = await limited.http.get(`/share/${'B'.repeat(43)}`);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    for (let i = 0; i < 2; i++) expect((await limited.http.get(`${API}/share/${'B'.repeat(43)}`)).status).toBe(404);
    expect((await limited.http.get(`${API}/share/${'B'.repeat(43)}`)).status).toBe(429);
  });

  it('the access log writes a share link as /share/[redacted], page and JSON alike', async () => {
    const token = tokenOf(expectSuccess(await create(), 201).url);
    expect((await h.http.get(`/share/${token}`)).status).toBe(200);
    expect((await h.http.get(`${API}/share/${token}`)).status).toBe(200);
    expect(h.logs.join('\n')).not.toContain(token);
    const urls = h.logs.map((l) => (JSON.parse(l) as { req?: { url?: string } }).req?.url ?? '').filter((u) => u.includes('/share/'));
    expect(urls).toEqual(expect.arrayContaining(['/share/[redacted]', '/api/v1/share/[redacted]']));
  });
});
