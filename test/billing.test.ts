import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../generated/sdk/types.gen.js';
import { CreditStore } from '../server/data/credits.js';
import { expectError, expectInvalid, expectSuccess, ISO, UUID } from './helpers/envelope.js';
import { API, createAgent, createSession, postMessage } from './helpers/fixtures.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { runAdmin } from './helpers/processes.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

/**
 * Billing through HTTP: the balance (GET /billing/credits), what a reply on a paid model debits, the 402
 * on an empty balance, and the usage report (GET /billing/usage). The model is the fake upstream, reached
 * as provider xai; `h` starts every org with 12.5 credits, `h0` with none (the default).
 */

const DAY = 24 * 60 * 60 * 1000;
const SLOW = 120_000;

let up: Upstream;
let h: Harness;
let h0: Harness;

beforeAll(async () => {
  up = await startUpstream({ apiKey: 'k' });
  const providers = { XAI_API_KEY: 'k', XAI_BASE_URL: up.baseURL };
  h = await startHarness({ ...providers, INITIAL_CREDITS: '12.5' });
  h0 = await startHarness(providers);
});
afterAll(async () => {
  await h?.close();
  await h0?.close();
  await up?.close();
});
afterEach(() => up.reset());

type Credits = { credits: number; creditMicro: number };
type Totals = { replies: number; inputTokens: number; outputTokens: number; credits: number; creditMicro: number };
type Report = { from: string; to: string; groupBy: string; items: Array<Totals & { key: string }>; total: Totals };

/** An agent on `model` and a session with it: where a tenant chats. */
async function chatRoom(hx: Harness, t: Tenant, model: string) {
  const agent = await createAgent(hx, t, { name: uniq('Billing agent'), model });
  const session = await createSession(hx, t, { agentIds: [agent.id] });
  return { agentId: agent.id, sessionId: session.id };
}

const chat = (hx: Harness, t: Tenant, sessionId: string, content = 'hello') =>
  hx.http.post(`${API}/sessions/${sessionId}/chat`).set(t.auth).send({ content, stream: false });

/** A JSON chat whose reply reports exactly these tokens; answers the stored reply. */
async function paidReply(hx: Harness, t: Tenant, sessionId: string, prompt_tokens: number, completion_tokens: number): Promise<Message> {
  up.enqueue({ kind: 'reply', text: 'answer', usage: { prompt_tokens, completion_tokens } });
  return expectSuccess<{ message: Message; reply: Message }>(await chat(hx, t, sessionId), 201).reply;
}

const credits = async (hx: Harness, t: Tenant) => expectSuccess<Credits>(await hx.http.get(`${API}/billing/credits`).set(t.auth));

/** A query string as the SDK sends it: URLSearchParams percent-encodes the timestamps' colons. */
const q = (params: Record<string, string>) => `?${new URLSearchParams(params)}`;

const usage = async (hx: Harness, t: Tenant, query = '') =>
  expectSuccess<Report>(await hx.http.get(`${API}/billing/usage${query}`).set(t.auth));

const ledger = (hx: Harness, orgId: string) =>
  hx.db.prisma.creditLedger.findMany({
    where: { orgId },
    orderBy: { createdAt: 'asc' },
    select: { kind: true, amountMicro: true, messageId: true },
  });

/** Grants credits the way the operator does: the admin CLI on PostgreSQL; the CreditStore it calls on the
 *  embedded database, which the CLI cannot open while this process holds it. */
async function grant(hx: Harness, t: Tenant, amount: string, micro: bigint) {
  if (hx.url) {
    const run = await runAdmin(['credits', 'grant', '--org', t.orgSlug, '--credits', amount, '--json'], { DATABASE_URL: hx.url });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ orgSlug: t.orgSlug, granted: { creditMicro: Number(micro) } });
  } else {
    await new CreditStore(hx.db.prisma).grant(t.orgSlug, micro, 'test grant');
  }
}

describe('GET /billing/credits', () => {
  it('answers exactly {credits, creditMicro}: a new org starts with INITIAL_CREDITS', async () => {
    const t = await h.tenant();
    const res = await h.http.get(`${API}/billing/credits`).set(t.auth);
    expect(expectSuccess(res)).toStrictEqual({ credits: 12.5, creditMicro: 12_500_000 });
    // The start is the org's first ledger row, a grant.
    expect(await ledger(h, t.orgId)).toEqual([{ kind: 'grant', amountMicro: 12_500_000n, messageId: null }]);
  });

  it('starts at 0 without INITIAL_CREDITS, with an empty ledger', async () => {
    const t = await h0.tenant();
    expect(await credits(h0, t)).toStrictEqual({ credits: 0, creditMicro: 0 });
    expect(await ledger(h0, t.orgId)).toEqual([]);
  });

  it('needs a key (401) and the billing:read scope (403)', async () => {
    const t = await h.tenant();
    expectError(await h.http.get(`${API}/billing/credits`), 'UNAUTHORIZED');
    const key = await h.keyWithScopes(t, ['sessions:read']);
    expectError(await h.http.get(`${API}/billing/credits`).set('Authorization', `Bearer ${key}`), 'FORBIDDEN');
    const reader = await h.keyWithScopes(t, ['billing:read']);
    expect(expectSuccess<Credits>(await h.http.get(`${API}/billing/credits`).set('Authorization', `Bearer ${reader}`)).creditMicro).toBe(
      12_500_000,
    );
  });

  it('is the organization balance: a member sees what the owner spent; another org keeps its own', async () => {
    const owner = await h.tenant();
    const member = await h.colleague(owner, { role: 'member' });
    const other = await h.tenant();
    const room = await chatRoom(h, owner, 'grok-3');
    const reply = await paidReply(h, owner, room.sessionId, 1000, 0); // 3000 creditMicro
    expect(reply.usage).toEqual({ inputTokens: 1000, outputTokens: 0, creditMicro: 3000 });
    expect(await credits(h, owner)).toStrictEqual({ credits: 12.497, creditMicro: 12_497_000 });
    expect(await credits(h, member)).toStrictEqual({ credits: 12.497, creditMicro: 12_497_000 });
    expect(await credits(h, other)).toStrictEqual({ credits: 12.5, creditMicro: 12_500_000 });
  });
});

describe('what a reply debits', () => {
  it('debits ceil((in × inPrice + out × outPrice) / 1e6) on grok-3, in one ledger row for the reply', async () => {
    const t = await h.tenant();
    const room = await chatRoom(h, t, 'grok-3');
    // 1000 × 3,000,000 + 333 × 15,000,000 = 7,995,000,000 → 7995 creditMicro
    const reply = await paidReply(h, t, room.sessionId, 1000, 333);
    expect(reply).toMatchObject({ role: 'agent', model: 'grok-3', status: 'complete' });
    expect(reply.usage).toStrictEqual({ inputTokens: 1000, outputTokens: 333, creditMicro: 7995 });
    expect(await credits(h, t)).toStrictEqual({ credits: 12.492005, creditMicro: 12_492_005 });
    expect(await ledger(h, t.orgId)).toEqual([
      { kind: 'grant', amountMicro: 12_500_000n, messageId: null },
      { kind: 'debit', amountMicro: -7995n, messageId: reply.id },
    ]);
    const org = await h.db.prisma.organization.findUniqueOrThrow({ where: { id: t.orgId } });
    expect(org.creditBalanceMicro).toBe(12_492_005n);
  });

  it('rounds each reply up to a whole creditMicro, once over the sum (grok-3-mini: 0.3 / 0.5 per token)', async () => {
    const t = await h.tenant();
    const room = await chatRoom(h, t, 'grok-3-mini');
    // 1 × 300,000 = 0.3 → 1
    expect((await paidReply(h, t, room.sessionId, 1, 0)).usage).toEqual({ inputTokens: 1, outputTokens: 0, creditMicro: 1 });
    // 0.3 + 0.5 = 0.8 → 1 (not 1 + 1: rounded once, over the sum)
    expect((await paidReply(h, t, room.sessionId, 1, 1)).usage).toEqual({ inputTokens: 1, outputTokens: 1, creditMicro: 1 });
    // 0.9 + 0.5 = 1.4 → 2
    expect((await paidReply(h, t, room.sessionId, 3, 1)).usage).toEqual({ inputTokens: 3, outputTokens: 1, creditMicro: 2 });
    // 10 × 0.3 = exactly 3: not rounded further
    expect((await paidReply(h, t, room.sessionId, 10, 0)).usage).toEqual({ inputTokens: 10, outputTokens: 0, creditMicro: 3 });
    expect((await credits(h, t)).creditMicro).toBe(12_500_000 - 7);
    const debits = (await ledger(h, t.orgId)).filter((r) => r.kind === 'debit').map((r) => r.amountMicro);
    expect(debits).toEqual([-1n, -1n, -2n, -3n]);
  });

  it('debits nothing and writes no ledger row for a reply that used no tokens', async () => {
    const t = await h.tenant();
    const room = await chatRoom(h, t, 'grok-3');
    expect((await paidReply(h, t, room.sessionId, 0, 0)).usage).toEqual({ inputTokens: 0, outputTokens: 0, creditMicro: 0 });
    expect((await credits(h, t)).creditMicro).toBe(12_500_000);
    expect((await ledger(h, t.orgId)).map((r) => r.kind)).toEqual(['grant']);
  });

  it('debits a streamed reply the same way', async () => {
    const t = await h.tenant();
    const room = await chatRoom(h, t, 'grok-3');
    up.enqueue({ kind: 'reply', chunks: ['a', 'b'], usage: { prompt_tokens: 10, completion_tokens: 2 } });
    const res = await h.http.post(`${API}/sessions/${room.sessionId}/chat`).set(t.auth).send({ content: 'hi', stream: true });
    expect(res.status, res.text).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/event-stream/);
    // 10 × 3 + 2 × 15 = 60
    expect(res.text).toContain('"creditMicro":60');
    expect((await credits(h, t)).creditMicro).toBe(12_500_000 - 60);
  });

  it('never debits a free model (alumia-local)', async () => {
    const t = await h.tenant();
    const room = await chatRoom(h, t, 'alumia-local');
    const { reply } = expectSuccess<{ reply: Message }>(await chat(h, t, room.sessionId, 'a long message to count'), 201);
    expect(reply.model).toBe('alumia-local');
    expect(reply.usage!.creditMicro).toBe(0);
    expect(reply.usage!.inputTokens).toBeGreaterThan(0);
    expect(up.requests).toHaveLength(0);
    expect((await credits(h, t)).creditMicro).toBe(12_500_000);
    expect((await ledger(h, t.orgId)).map((r) => r.kind)).toEqual(['grant']);
  });
});

describe('402 PAYMENT_REQUIRED', () => {
  it(
    'refuses a paid model at balance 0 without calling it or storing anything; a grant lets the chat run',
    async () => {
      const t = await h0.tenant();
      const room = await chatRoom(h0, t, 'grok-3');
      const refused = expectError(await chat(h0, t, room.sessionId), 'PAYMENT_REQUIRED');
      expect(refused.message).toMatch(/grok-3/);
      expect(up.requests).toHaveLength(0);
      expect(await h0.db.prisma.message.count({ where: { sessionId: room.sessionId } })).toBe(0);
      // Streaming is refused the same way, as JSON, before any stream starts.
      const streamed = await h0.http.post(`${API}/sessions/${room.sessionId}/chat`).set(t.auth).send({ content: 'hi', stream: true });
      expectError(streamed, 'PAYMENT_REQUIRED');
      expect(up.requests).toHaveLength(0);

      await grant(h0, t, '0.01', 10_000n);
      expect(await credits(h0, t)).toStrictEqual({ credits: 0.01, creditMicro: 10_000 });
      const reply = await paidReply(h0, t, room.sessionId, 100, 10); // 300 + 150
      expect(reply.usage!.creditMicro).toBe(450);
      expect(up.requests).toHaveLength(1);
      expect(await credits(h0, t)).toStrictEqual({ credits: 0.00955, creditMicro: 9_550 });
    },
    SLOW,
  );

  it('lets a free model answer at balance 0', async () => {
    const t = await h0.tenant();
    const room = await chatRoom(h0, t, 'alumia-local');
    const { reply } = expectSuccess<{ reply: Message }>(await chat(h0, t, room.sessionId), 201);
    expect(reply).toMatchObject({ model: 'alumia-local', usage: { creditMicro: 0 } });
    expect((await credits(h0, t)).creditMicro).toBe(0);
  });

  it('refuses once a reply overdrew the balance below zero, until credits are granted above the debt', async () => {
    const t = await h0.tenant();
    await new CreditStore(h0.db.prisma).grant(t.orgSlug, 1_000n, 'small');
    const room = await chatRoom(h0, t, 'grok-3');
    // 1000 input tokens on grok-3 cost 3000 against a balance of 1000: accepted (balance > 0), then negative.
    const reply = await paidReply(h0, t, room.sessionId, 1000, 0);
    expect(reply.usage!.creditMicro).toBe(3000);
    expect(await credits(h0, t)).toStrictEqual({ credits: -0.002, creditMicro: -2000 });
    up.reset();
    expectError(await chat(h0, t, room.sessionId), 'PAYMENT_REQUIRED');
    expect(up.requests).toHaveLength(0);
    // A grant that leaves the balance at exactly 0 is still not enough.
    await new CreditStore(h0.db.prisma).grant(t.orgSlug, 2_000n, 'to zero');
    expect((await credits(h0, t)).creditMicro).toBe(0);
    expectError(await chat(h0, t, room.sessionId), 'PAYMENT_REQUIRED');
    await new CreditStore(h0.db.prisma).grant(t.orgSlug, 1n, 'above zero');
    expect((await paidReply(h0, t, room.sessionId, 1, 0)).usage!.creditMicro).toBe(3);
    expect((await credits(h0, t)).creditMicro).toBe(-2);
    expect(up.requests).toHaveLength(1);
  });
});

describe('GET /billing/usage', () => {
  // Fixed instants in the past, far from "now", so the default window never sees them.
  const FROM = '2025-03-01T00:00:00.000Z';
  const TO = '2025-03-03T00:00:00.000Z';
  let t: Tenant;
  let outsider: Tenant;
  let agentA: string;
  let agentB: string;
  const at = async (reply: Message, iso: string) => {
    await h.db.prisma.message.update({ where: { id: reply.id }, data: { createdAt: new Date(iso) } });
    // The user message it answers sits at the same instant: it must never count.
    await h.db.prisma.message.update({ where: { id: reply.replyTo! }, data: { createdAt: new Date(iso) } });
  };

  beforeAll(async () => {
    t = await h.tenant();
    outsider = await h.tenant();
    const a = await chatRoom(h, t, 'grok-3');
    const b = await chatRoom(h, t, 'grok-3-mini');
    agentA = a.agentId;
    agentB = b.agentId;
    // grok-3: 3 / 15 per token; grok-3-mini: 0.3 / 0.5 per token.
    await at(await paidReply(h, t, a.sessionId, 1000, 100), FROM); // 4500, day 1, at `from`: in
    await at(await paidReply(h, t, a.sessionId, 10, 1), '2025-03-01T23:59:59.999Z'); // 45, day 1
    await at(await paidReply(h, t, b.sessionId, 1000, 1000), '2025-03-02T12:00:00.000Z'); // 800, day 2
    await at(await paidReply(h, t, b.sessionId, 1, 1), '2025-03-02T23:59:59.999Z'); // 1, day 2
    await at(await paidReply(h, t, a.sessionId, 5000, 5000), TO); // at `to`: out
    await at(await paidReply(h, t, a.sessionId, 7000, 7000), '2025-02-28T23:59:59.999Z'); // before `from`: out
    // A user's plain message, and another org's reply in the same window.
    const posted = await postMessage(h, t, a.sessionId, { content: 'just a note' });
    await h.db.prisma.message.update({ where: { id: posted.id }, data: { createdAt: new Date('2025-03-01T10:00:00.000Z') } });
    const o = await chatRoom(h, outsider, 'grok-3');
    await at(await paidReply(h, outsider, o.sessionId, 100_000, 100_000), '2025-03-01T12:00:00.000Z');
  });

  const window = q({ from: FROM, to: TO });
  const grand = { replies: 4, inputTokens: 2011, outputTokens: 1102, credits: 0.005346, creditMicro: 5346 };

  /** The total is the items' sum, credits = creditMicro / 1e6 everywhere, and only the documented keys. */
  function expectConsistent(report: Report) {
    expect(Object.keys(report).sort()).toEqual(['from', 'groupBy', 'items', 'to', 'total']);
    const sum = (k: keyof Totals) => report.items.reduce((n, i) => n + i[k], 0);
    for (const k of ['replies', 'inputTokens', 'outputTokens', 'creditMicro'] as const) expect(report.total[k]).toBe(sum(k));
    for (const row of [...report.items, report.total]) {
      expect(row.credits).toBe(row.creditMicro / 1e6);
      expect(Object.keys(row).sort()).toEqual(
        ['creditMicro', 'credits', 'inputTokens', 'outputTokens', 'replies', ...('key' in row ? ['key'] : [])].sort(),
      );
    }
  }

  it('groups by UTC day by default, in date order, over [from, to)', async () => {
    const report = await usage(h, t, window);
    expectConsistent(report);
    expect(report).toStrictEqual({
      from: FROM,
      to: TO,
      groupBy: 'day',
      items: [
        { key: '2025-03-01', replies: 2, inputTokens: 1010, outputTokens: 101, credits: 0.004545, creditMicro: 4545 },
        { key: '2025-03-02', replies: 2, inputTokens: 1001, outputTokens: 1001, credits: 0.000801, creditMicro: 801 },
      ],
      total: grand,
    });
    expect(await usage(h, t, q({ from: FROM, to: TO, groupBy: 'day' }))).toStrictEqual(report);
  });

  it('groups by model, largest spend first', async () => {
    const report = await usage(h, t, q({ from: FROM, to: TO, groupBy: 'model' }));
    expectConsistent(report);
    expect(report.groupBy).toBe('model');
    expect(report.items).toStrictEqual([
      { key: 'grok-3', replies: 2, inputTokens: 1010, outputTokens: 101, credits: 0.004545, creditMicro: 4545 },
      { key: 'grok-3-mini', replies: 2, inputTokens: 1001, outputTokens: 1001, credits: 0.000801, creditMicro: 801 },
    ]);
    expect(report.total).toStrictEqual(grand);
  });

  it('groups by answering agent, keyed by its UUID', async () => {
    const report = await usage(h, t, q({ from: FROM, to: TO, groupBy: 'agent' }));
    expectConsistent(report);
    expect(report.items.map((i) => i.key)).toEqual([agentA, agentB]);
    for (const i of report.items) expect(i.key).toMatch(UUID);
    expect(report.items.map((i) => [i.replies, i.creditMicro])).toEqual([
      [2, 4545],
      [2, 801],
    ]);
    expect(report.total).toStrictEqual(grand);
  });

  it('includes `from` and excludes `to` to the millisecond', async () => {
    // Moving both ends by 1 ms drops the reply at `from` and takes in the one at `to`.
    const shifted = await usage(h, t, q({ from: '2025-03-01T00:00:00.001Z', to: '2025-03-03T00:00:00.001Z', groupBy: 'model' }));
    expectConsistent(shifted);
    expect(shifted.total).toMatchObject({ replies: 4, inputTokens: 1011 + 5000, outputTokens: 1002 + 5000 });
    // 45 + 801 + 5000 × 18 = 90,846
    expect(shifted.total.creditMicro).toBe(90_846);
    // Only what lies at 23:59:59.999 on the 28th.
    const before = await usage(h, t, q({ from: '2025-02-28T00:00:00.000Z', to: FROM }));
    expect(before.items).toStrictEqual([
      { key: '2025-02-28', replies: 1, inputTokens: 7000, outputTokens: 7000, credits: 0.126, creditMicro: 126_000 },
    ]);
  });

  it('accepts the timestamps with their colons unencoded, as curl and browsers send them', async () => {
    // RFC 3986 allows ':' in a query, and every ISO 8601 timestamp has one; the contract's own examples do.
    const res = await h.http.get(`${API}/billing/usage?from=${FROM}&to=${TO}&groupBy=model`).set(t.auth);
    expect(expectSuccess<Report>(res).total).toStrictEqual(grand);
  });

  it('answers an empty report with zero totals for a window without replies', async () => {
    const report = await usage(h, t, q({ from: '2020-01-01T00:00:00.000Z', to: '2020-02-01T00:00:00.000Z', groupBy: 'agent' }));
    expect(report).toStrictEqual({
      from: '2020-01-01T00:00:00.000Z',
      to: '2020-02-01T00:00:00.000Z',
      groupBy: 'agent',
      items: [],
      total: { replies: 0, inputTokens: 0, outputTokens: 0, credits: 0, creditMicro: 0 },
    });
  });

  it('never includes another organization’s replies', async () => {
    const theirs = await usage(h, outsider, window);
    expect(theirs.total).toMatchObject({ replies: 1, inputTokens: 100_000, outputTokens: 100_000, creditMicro: 1_800_000 });
    expect((await usage(h, t, window)).total).toStrictEqual(grand);
  });

  it('is the same for every member of the org, whatever workspace they are in', async () => {
    const member = await h.colleague(t, { role: 'member' });
    expect(await usage(h, member, q({ from: FROM, to: TO, groupBy: 'model' }))).toStrictEqual(
      await usage(h, t, q({ from: FROM, to: TO, groupBy: 'model' })),
    );
  });

  it('defaults to the 30 days before now, and `from` to 30 days before a given `to`', async () => {
    const u = await h.tenant();
    const room = await chatRoom(h, u, 'grok-3');
    await paidReply(h, u, room.sessionId, 1, 0); // now: in (3)
    const now = Date.now();
    await at(await paidReply(h, u, room.sessionId, 2, 0), new Date(now - 29 * DAY).toISOString()); // in (6)
    await at(await paidReply(h, u, room.sessionId, 4, 0), new Date(now - 31 * DAY).toISOString()); // out
    const before = Date.now();
    const report = await usage(h, u, '?groupBy=model');
    const after = Date.now();
    expect(report.from).toMatch(ISO);
    expect(report.to).toMatch(ISO);
    const to = Date.parse(report.to);
    expect(to).toBeGreaterThanOrEqual(before);
    expect(to).toBeLessThanOrEqual(after);
    expect(to - Date.parse(report.from)).toBe(30 * DAY);
    expect(report.items).toStrictEqual([{ key: 'grok-3', replies: 2, inputTokens: 3, outputTokens: 0, credits: 0.000009, creditMicro: 9 }]);

    const explicitTo = new Date(now - 2 * DAY).toISOString();
    const older = await usage(h, u, q({ to: explicitTo }));
    expect(older.to).toBe(explicitTo);
    expect(older.from).toBe(new Date(now - 32 * DAY).toISOString());
    expect(older.total).toMatchObject({ replies: 2, inputTokens: 6, creditMicro: 18 });
    // `from` alone: `to` is now.
    const since = await usage(h, u, q({ from: new Date(now - 30 * DAY).toISOString() }));
    expect(since.total).toMatchObject({ replies: 2, inputTokens: 3 });
  });

  it('accepts a range of exactly 366 days', async () => {
    const report = await usage(h, t, q({ from: '2024-03-03T00:00:00.000Z', to: '2025-03-04T00:00:00.000Z' }));
    expect(report.total).toMatchObject({ replies: 6 });
  });

  it('refuses from >= to and a range over 366 days with 422 naming query.from', async () => {
    expectInvalid(await h.http.get(`${API}/billing/usage${q({ from: TO, to: FROM })}`).set(t.auth), 'VALIDATION_ERROR', ['query.from']);
    expectInvalid(await h.http.get(`${API}/billing/usage${q({ from: FROM, to: FROM })}`).set(t.auth), 'VALIDATION_ERROR', ['query.from']);
    // 1 ms more than the 366 days accepted above.
    const tooLong = await h.http
      .get(`${API}/billing/usage${q({ from: '2024-03-02T23:59:59.999Z', to: '2025-03-04T00:00:00.000Z' })}`)
      .set(t.auth);
    expect(expectInvalid(tooLong, 'VALIDATION_ERROR', ['query.from']).message).toMatch(/366/);
    // `from` alone more than 366 days back.
    expectInvalid(await h.http.get(`${API}/billing/usage${q({ from: '2000-01-01T00:00:00.000Z' })}`).set(t.auth), 'VALIDATION_ERROR', [
      'query.from',
    ]);
  });

  it('refuses an unknown groupBy and a malformed date with 422 naming the parameter', async () => {
    expectInvalid(await h.http.get(`${API}/billing/usage?groupBy=week`).set(t.auth), 'VALIDATION_ERROR', ['query.groupBy']);
    expectInvalid(await h.http.get(`${API}/billing/usage?from=yesterday`).set(t.auth), 'VALIDATION_ERROR', ['query.from']);
    expectInvalid(await h.http.get(`${API}/billing/usage${q({ to: '2025-13-01T00:00:00.000Z' })}`).set(t.auth), 'VALIDATION_ERROR', [
      'query.to',
    ]);
  });

  it('needs a key (401) and the billing:read scope (403)', async () => {
    expectError(await h.http.get(`${API}/billing/usage`), 'UNAUTHORIZED');
    const key = await h.keyWithScopes(t, ['sessions:read', 'agents:read']);
    expectError(await h.http.get(`${API}/billing/usage`).set('Authorization', `Bearer ${key}`), 'FORBIDDEN');
  });
});
