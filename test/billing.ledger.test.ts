import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../generated/sdk/types.gen.js';
import { CreditStore } from '../server/data/credits.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API, createAgent, createSession } from './helpers/fixtures.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

/**
 * The credit ledger under concurrency: the balance stays the ledger's sum and each reply is debited exactly
 * once, whatever runs at the same moment; retries with one Idempotency-Key debit once; and the overdraw
 * the contract allows (the 402 check and the debit are not one lock) stays within what the accepted
 * replies used. Every org starts with INITIAL_CREDITS 0.001 (1000 creditMicro).
 */

let up: Upstream;
let h: Harness;

beforeAll(async () => {
  up = await startUpstream({ apiKey: 'k' });
  h = await startHarness({ XAI_API_KEY: 'k', XAI_BASE_URL: up.baseURL, INITIAL_CREDITS: '0.001' });
});
afterAll(async () => {
  await h?.close();
  await up?.close();
});
afterEach(() => up.reset());

/** grok-3 at 3 / 15 creditMicro per token: 100 input and 50 output tokens cost 300 + 750. */
const USAGE = { prompt_tokens: 100, completion_tokens: 50 };
const COST = 1050;

async function sessionOn(t: Tenant, model = 'grok-3'): Promise<string> {
  const agent = await createAgent(h, t, { name: uniq('Ledger agent'), model });
  return (await createSession(h, t, { agentIds: [agent.id] })).id;
}

const chat = (t: Tenant, sessionId: string, body: Record<string, unknown>, idempotencyKey?: string) => {
  const req = h.http.post(`${API}/sessions/${sessionId}/chat`).set(t.auth);
  if (idempotencyKey) req.set('Idempotency-Key', idempotencyKey);
  return req.send(body);
};

/** The reply of a 201 JSON chat or of a 200 stream's `reply` event. */
function replyOf(res: { status: number; body: unknown; text: string }): Message {
  if (res.status === 201) return expectSuccess<{ reply: Message }>(res as never, 201).reply;
  expect(res.status, res.text).toBe(200);
  const event = res.text.split('\n\n').find((e) => e.startsWith('event: reply\n'));
  expect(event, res.text).toBeDefined();
  return JSON.parse(event!.split('\ndata: ')[1]!) as Message;
}

/** The org's balance three ways: the API, the organization row, and the ledger's sum; all must agree. */
async function balances(t: Tenant) {
  const api = expectSuccess<{ creditMicro: number }>(await h.http.get(`${API}/billing/credits`).set(t.auth)).creditMicro;
  const org = await h.db.prisma.organization.findUniqueOrThrow({ where: { id: t.orgId }, select: { creditBalanceMicro: true } });
  const sum = await h.db.prisma.creditLedger.aggregate({ where: { orgId: t.orgId }, _sum: { amountMicro: true } });
  expect(BigInt(api)).toBe(org.creditBalanceMicro);
  expect(sum._sum.amountMicro ?? 0n).toBe(org.creditBalanceMicro);
  return api;
}

const debits = (orgId: string) =>
  h.db.prisma.creditLedger.findMany({ where: { orgId, kind: 'debit' }, select: { amountMicro: true, messageId: true } });

describe('concurrent chats of one org', () => {
  it('debit each reply exactly once; balance = initial − Σ reply cost = Σ ledger = the org row', async () => {
    const t = await h.tenant();
    await new CreditStore(h.db.prisma).grant(t.orgSlug, 100_000_000n, 'for the test');
    const initial = await balances(t);
    expect(initial).toBe(100_001_000);
    // Five sessions with four chats each, half of them streamed; the upstream makes them overlap.
    const sessions = await Promise.all([0, 1, 2, 3, 4].map(() => sessionOn(t)));
    up.setFallback({ kind: 'reply', text: 'fixed', usage: USAGE, firstDelayMs: 50 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => chat(t, sessions[i % 5]!, { content: `question ${i}`, stream: i % 2 === 0 })),
    );
    const replies = results.map(replyOf);
    expect(up.requests).toHaveLength(20);
    for (const r of replies) expect(r.usage).toEqual({ inputTokens: 100, outputTokens: 50, creditMicro: COST });
    const spent = replies.reduce((n, r) => n + r.usage!.creditMicro, 0);
    expect(spent).toBe(20 * COST);
    expect(await balances(t)).toBe(initial - spent);

    // One debit row per reply, for exactly its cost, and none for anything else.
    const rows = await debits(t.orgId);
    expect(rows).toHaveLength(20);
    expect(new Set(rows.map((r) => r.messageId)).size).toBe(20);
    expect(rows.map((r) => r.messageId).sort()).toEqual(replies.map((r) => r.id).sort());
    for (const r of rows) expect(r.amountMicro).toBe(BigInt(-COST));
    // The stored replies carry the same figures.
    const stored = await h.db.prisma.message.aggregate({
      where: { orgId: t.orgId, model: { not: null } },
      _sum: { creditMicro: true },
      _count: true,
    });
    expect(stored).toMatchObject({ _count: 20, _sum: { creditMicro: BigInt(spent) } });
  });

  it('debit each org its own replies when two orgs chat at the same time', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    for (const t of [a, b]) await new CreditStore(h.db.prisma).grant(t.orgSlug, 10_000_000n, 'for the test');
    const [sa, sb] = await Promise.all([sessionOn(a), sessionOn(b)]);
    up.setFallback({ kind: 'reply', text: 'fixed', usage: USAGE, firstDelayMs: 20 });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i < 7 ? chat(a, sa, { content: `a ${i}` }) : chat(b, sb, { content: `b ${i}` }))),
    );
    results.forEach(replyOf);
    expect(await balances(a)).toBe(10_001_000 - 7 * COST);
    expect(await balances(b)).toBe(10_001_000 - 3 * COST);
    expect(await debits(a.orgId)).toHaveLength(7);
    expect(await debits(b.orgId)).toHaveLength(3);
  });
});

describe('retries with one Idempotency-Key', () => {
  it('sent three times one after another: one model call, one reply, one debit', async () => {
    const t = await h.tenant();
    await new CreditStore(h.db.prisma).grant(t.orgSlug, 1_000_000n, 'for the test');
    const sessionId = await sessionOn(t);
    up.setFallback({ kind: 'reply', text: 'fixed', usage: USAGE });
    const key = uniq('retry');
    const body = { content: 'once please', stream: false };
    const first = await chat(t, sessionId, body, key);
    const firstReply = replyOf(first);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    for (let i = 0; i < 2; i++) {
      const again = await chat(t, sessionId, body, key);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(replyOf(again)).toEqual(firstReply);
    }
    expect(up.requests).toHaveLength(1);
    expect(await debits(t.orgId)).toEqual([{ amountMicro: BigInt(-COST), messageId: firstReply.id }]);
    expect(await balances(t)).toBe(1_001_000 - COST);
    expect(await h.db.prisma.message.count({ where: { sessionId } })).toBe(2);
  });

  it('sent three times at once: the others answer 409 or replay, and the reply is debited once', async () => {
    const t = await h.tenant();
    await new CreditStore(h.db.prisma).grant(t.orgSlug, 1_000_000n, 'for the test');
    const sessionId = await sessionOn(t);
    // Slow enough that the copies arrive while the first is still running.
    up.setFallback({ kind: 'reply', text: 'fixed', usage: USAGE, firstDelayMs: 300 });
    const key = uniq('retry');
    const body = { content: 'once please', stream: false };
    const results = await Promise.all([0, 1, 2].map(() => chat(t, sessionId, body, key)));
    const ran = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined);
    expect(ran, JSON.stringify(results.map((r) => r.status))).toHaveLength(1);
    const reply = replyOf(ran[0]!);
    for (const r of results) {
      if (r === ran[0]) continue;
      if (r.status === 409) expectError(r, 'CONFLICT');
      else expect(replyOf(r)).toEqual(reply);
    }
    // After the first finished, a retry replays it.
    const later = await chat(t, sessionId, body, key);
    expect(later.headers['idempotent-replayed']).toBe('true');
    expect(replyOf(later)).toEqual(reply);
    expect(up.requests).toHaveLength(1);
    expect(await debits(t.orgId)).toEqual([{ amountMicro: BigInt(-COST), messageId: reply.id }]);
    expect(await balances(t)).toBe(1_001_000 - COST);
  });
});

describe('overdraw', () => {
  it('stays within what the chats accepted at the same moment used, then answers 402 until a grant', async () => {
    const t = await h.tenant();
    expect(await balances(t)).toBe(1000);
    const sessions = await Promise.all([0, 1, 2, 3].map(() => sessionOn(t)));
    // Each reply costs 3000 (1000 input tokens on grok-3), three times the balance. The model answers
    // slowly, so every chat passes the balance check before the first debit lands.
    const N = 8;
    const cost = 3000;
    up.setFallback({ kind: 'reply', text: 'pricey', usage: { prompt_tokens: 1000, completion_tokens: 0 }, firstDelayMs: 300 });
    const results = await Promise.all(Array.from({ length: N }, (_, i) => chat(t, sessions[i % 4]!, { content: `q ${i}`, stream: false })));
    const accepted = results.filter((r) => r.status === 201);
    for (const r of results) if (r.status !== 201) expectError(r, 'PAYMENT_REQUIRED');
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    // A refused chat never reached the model; every accepted one did and was debited in full.
    expect(up.requests).toHaveLength(accepted.length);
    const replies = accepted.map(replyOf);
    for (const r of replies) expect(r.usage!.creditMicro).toBe(cost);
    const rows = await debits(t.orgId);
    expect(rows.map((r) => r.messageId).sort()).toEqual(replies.map((r) => r.id).sort());
    // The documented bound: the balance is what it was minus exactly the accepted replies, so never below
    // 1000 − N × cost.
    const balance = await balances(t);
    expect(balance).toBe(1000 - accepted.length * cost);
    expect(balance).toBeGreaterThanOrEqual(1000 - N * cost);
    expect(balance).toBeLessThan(0);

    up.reset();
    expectError(await chat(t, sessions[0]!, { content: 'more', stream: false }), 'PAYMENT_REQUIRED');
    expect(up.requests).toHaveLength(0);
    // Only a grant that lifts the balance above zero lets paid chats through again.
    await new CreditStore(h.db.prisma).grant(t.orgSlug, BigInt(-balance + 1), 'pay the debt');
    expect(await balances(t)).toBe(1);
    up.setFallback({ kind: 'reply', text: 'ok', usage: { prompt_tokens: 1, completion_tokens: 0 } });
    expect(replyOf(await chat(t, sessions[0]!, { content: 'again', stream: false })).usage!.creditMicro).toBe(3);
    expect(await balances(t)).toBe(-2);
  });
});
