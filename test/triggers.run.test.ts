import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givePassword, signIn } from './helpers/browser-session.js';
import { eventually } from './helpers/chat.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API, createAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { listen, sendChunks } from './helpers/raw-http.js';

// A trigger URL's limits and refusals: the 256 KB body cap (before parsing, chunked too), the per-trigger
// rate limit, and what the trigger's creator and agent must still be for it to run.

const CAP = 256 * 1024;

let h: Harness;
let t: Tenant;
let cookie: Record<string, string>;
let agentId: string;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  cookie = (await signIn(h.http, t.email, await givePassword(h, t))).headers;
  agentId = (await createAgent(h, t, { name: 'Runner bot', model: 'alumia-local' })).id;
});
afterAll(() => h.close());

const mint = async (headers = cookie, agent = agentId): Promise<{ id: string; token: string }> =>
  expectSuccess(await h.http.post(`${API}/agents/${agent}/triggers`).set(headers).send({}), 201);
const post = (token: string, raw: string, http = h.http) =>
  http.post(`${API}/triggers/${token}`).set('Content-Type', 'application/json').send(raw);
const sessionCount = () => h.db.prisma.session.count({ where: { orgId: t.orgId } });
const messageCount = () => h.db.prisma.message.count({ where: { orgId: t.orgId } });
/** `{"a":"cap"` padded with whitespace to exactly `size` bytes: valid JSON of a chosen length. */
const padded = (size: number) => {
  const head = '{"a":"cap"';
  return head + ' '.repeat(size - head.length - 1) + '}';
};
const replyStored = (sessionId: string) =>
  eventually(
    () => h.db.prisma.message.count({ where: { sessionId, agentId: { not: null } } }),
    (n) => n === 1,
    5_000,
  );

describe('the 256 KB body cap', () => {
  it('takes a body of exactly 256 KB and refuses one byte more with 413, creating nothing', async () => {
    const { token } = await mint();
    const at = expectSuccess(await post(token, padded(CAP)), 202);
    expect(await replyStored(at.sessionId)).toBe(1);
    const [sessions, messages] = [await sessionCount(), await messageCount()];
    const over = await post(token, padded(CAP + 1));
    expectError(over, 'PAYLOAD_TOO_LARGE');
    expect(over.headers.connection).toBe('close');
    expect([await sessionCount(), await messageCount()]).toEqual([sessions, messages]);
  });

  it('refuses a chunked body as it streams past 256 KB, creating nothing', async () => {
    const { token } = await mint();
    const server = await listen(h.app);
    try {
      const [sessions, messages] = [await sessionCount(), await messageCount()];
      const half = padded(CAP).slice(0, CAP / 2);
      const res = await sendChunks({
        port: server.port,
        path: `${API}/triggers/${token}`,
        headers: { 'Content-Type': 'application/json' },
        chunks: [half, ' '.repeat(CAP / 2), ' '.repeat(1024), '}'],
      });
      expect(res.status).toBe(413);
      expect((res.body as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
      expect([await sessionCount(), await messageCount()]).toEqual([sessions, messages]);
      // A chunked body under the cap goes through.
      const ok = await sendChunks({
        port: server.port,
        path: `${API}/triggers/${token}`,
        headers: { 'Content-Type': 'application/json' },
        chunks: ['{"chunked":', 'true}'],
      });
      expect(ok.status).toBe(202);
    } finally {
      await server.close();
    }
  });

  it('a body too long for a message is cut to 100,000 characters with a note, and the agent still answers', async () => {
    const { token } = await mint();
    const raw = JSON.stringify({ log: 'z'.repeat(200_000) });
    const started = expectSuccess(await post(token, raw), 202);
    expect(await replyStored(started.sessionId)).toBe(1);
    const message = await h.db.prisma.message.findUniqueOrThrow({ where: { id: started.messageId } });
    expect(message.content).toHaveLength(100_000);
    expect(message.content).toMatch(
      new RegExp(`\\[truncated: the trigger's body was ${raw.length} characters; the first 100000 are shown\\]$`),
    );
  });
});

describe('the per-trigger rate limit', () => {
  it('refuses a trigger past TRIGGER_LIMIT_PER_MINUTE with 429 and Retry-After; another trigger has its own bucket', async () => {
    const limited = await h.rebuild({ DISABLE_RATE_LIMIT: '0', TRIGGER_LIMIT_PER_MINUTE: '2', TRUST_PROXY: 'true' });
    const [a, b] = [await mint(), await mint()];
    const send = (token: string, ip: string) => post(token, '{}', limited.http).set('X-Forwarded-For', ip);
    expectSuccess(await send(a.token, '203.0.113.1'), 202);
    // Another address does not buy another bucket: the bucket is the trigger's.
    expectSuccess(await send(a.token, '203.0.113.2'), 202);
    const before = await sessionCount();
    const refused = await send(a.token, '203.0.113.3');
    expect(expectError(refused, 'TOO_MANY_REQUESTS').message).toContain('2 requests per minute to this trigger');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit']).toMatch(/"trigger";r=0/);
    expect(await sessionCount()).toBe(before);
    expectSuccess(await send(b.token, '203.0.113.1'), 202);
  });
});

describe('what must still hold when a trigger runs', () => {
  it('a paid model without credits answers 402 (503 while its provider is unconfigured) before anything is stored', async () => {
    const paid = (await createAgent(h, t, { name: 'Paid bot', model: 'alumia-local' })).id;
    const { token } = await mint(cookie, paid);
    await h.db.prisma.agent.update({ where: { id: paid }, data: { model: 'grok-3' } });
    await h.db.prisma.organization.update({ where: { id: t.orgId }, data: { creditBalanceMicro: 0n } });
    const before = [await sessionCount(), await messageCount()];
    expectError(await post(token, '{}'), 'SERVICE_UNAVAILABLE');
    // Nothing listens on the discard port: a reply that is started fails, in the background.
    const configured = await h.rebuild({ XAI_API_KEY: 'k', XAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    expectError(await post(token, '{}', configured.http), 'PAYMENT_REQUIRED');
    expect([await sessionCount(), await messageCount()]).toEqual(before);
    await h.db.prisma.organization.update({ where: { id: t.orgId }, data: { creditBalanceMicro: 1_000_000n } });
    const started = expectSuccess(await post(token, '{}', configured.http), 202);
    // The provider's failure is stored as the reply's status and logged; the server goes on.
    const reply = await eventually(
      () => h.db.prisma.message.findFirst({ where: { sessionId: started.sessionId, agentId: paid } }),
      (m) => m !== null,
      10_000,
    );
    expect(reply?.status).toBe('incomplete');
    expect(h.logs.some((l) => l.includes('a trigger reply failed') && l.includes(started.sessionId))).toBe(true);
    expectSuccess(await post((await mint()).token, '{}', configured.http), 202);
  });

  it('an inactive agent answers 403 and a model gone from the catalog 409, before anything is stored', async () => {
    const bot = (await createAgent(h, t, { name: 'Sleepy bot', model: 'alumia-local' })).id;
    const { token } = await mint(cookie, bot);
    const before = [await sessionCount(), await messageCount()];
    await h.db.prisma.agent.update({ where: { id: bot }, data: { isActive: false } });
    expectError(await post(token, '{}'), 'FORBIDDEN');
    await h.db.prisma.agent.update({ where: { id: bot }, data: { isActive: true, model: 'gone-model' } });
    expectError(await post(token, '{}'), 'CONFLICT');
    expect([await sessionCount(), await messageCount()]).toEqual(before);
  });

  it('runs as its creator: 404 once the creator left the org or lost sight of the agent', async () => {
    const admin = await h.colleague(t, { role: 'admin' });
    const adminCookie = (await signIn(h.http, admin.email, await givePassword(h, admin))).headers;
    const { token } = await mint(adminCookie);
    const started = expectSuccess(await post(token, '{"n":1}'), 202);
    // The session is the creator's, in the agent's workspace: the creator reads the reply with their key.
    expect(await replyStored(started.sessionId)).toBe(1);
    const read = expectSuccess(await h.http.get(`${API}/sessions/${started.sessionId}/messages`).set(admin.auth));
    expect(read.items).toHaveLength(2);
    // Demoted to member without access to the agent's workspace: the agent is out of sight.
    await h.db.prisma.membership.updateMany({ where: { orgId: t.orgId, userId: admin.userId }, data: { role: 'member' } });
    const before = await sessionCount();
    expectError(await post(token, '{}'), 'NOT_FOUND');
    // Removed from the org.
    await h.db.prisma.membership.updateMany({ where: { orgId: t.orgId, userId: admin.userId }, data: { role: 'admin' } });
    expectSuccess(await post(token, '{}'), 202);
    expectSuccess(await h.http.delete(`${API}/org/members/${admin.userId}`).set(cookie), 200);
    expectError(await post(token, '{}'), 'NOT_FOUND');
    expect(await sessionCount()).toBe(before + 1);
  });

  it("an org-wide agent's session goes to the creator's current workspace", async () => {
    const ala = await h.db.prisma.agent.findFirstOrThrow({ where: { orgId: t.orgId, isDefault: true } });
    expect(ala.workspaceId).toBeNull();
    await h.db.prisma.agent.update({ where: { id: ala.id }, data: { model: 'alumia-local' } });
    const { token } = await mint(cookie, ala.id);
    const started = expectSuccess(await post(token, '"hello Ala"'), 202);
    const session = await h.db.prisma.session.findUniqueOrThrow({ where: { id: started.sessionId } });
    expect(session.workspaceId).toBe(t.workspaceId);
    expect(await replyStored(started.sessionId)).toBe(1);
  });

  it('stores no Idempotency-Key record for a trigger call, even with an API key along: its path is a credential', async () => {
    const { token } = await mint();
    const headers = { ...t.auth, 'Idempotency-Key': 'trigger-once', 'Content-Type': 'application/json' };
    const first = expectSuccess(await h.http.post(`${API}/triggers/${token}`).set(headers).send('{"n":1}'), 202);
    const second = expectSuccess(await h.http.post(`${API}/triggers/${token}`).set(headers).send('{"n":1}'), 202);
    // Not replayed: each call starts its own turn.
    expect(second.sessionId).not.toBe(first.sessionId);
    const rows = await h.db.prisma.idempotencyKey.findMany({ where: { orgId: t.orgId } });
    expect(rows.filter((r) => r.path.includes('/triggers/'))).toEqual([]);
  });
});
