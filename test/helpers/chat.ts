// Chat helpers: the app wired to the stand-in upstream, the money checks every chat test makes, and a
// real-socket SSE reader for streamed chats (supertest cannot show events as they arrive or drop a socket).
import { request, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { expect } from 'vitest';
import type { Message, Model } from '../../generated/sdk/types.gen.js';
import { addToLedger } from '../../server/data/credits.js';
import { expectSuccess } from './envelope.js';
import { API } from './fixtures.js';
import type { Harness, Tenant } from './harness.js';
import type { Upstream } from './upstream.js';

export const XAI_KEY = 'xai-test-secret-123';

/**
 * The app under test calls `up` for xai models, with short model timeouts and a fast keep-alive. Tests that
 * do not test the timeouts pass RELAXED too: 300 ms is too tight for a first request on a loaded machine.
 */
export const upstreamEnv = (up: Upstream, extra: Record<string, string> = {}) => ({
  XAI_API_KEY: XAI_KEY,
  XAI_BASE_URL: up.baseURL,
  MODEL_TIMEOUT_MS: '300',
  MODEL_IDLE_TIMEOUT_MS: '300',
  SSE_KEEPALIVE_MS: '100',
  INITIAL_CREDITS: '10',
  ...extra,
});

export const RELAXED = { MODEL_TIMEOUT_MS: '5000', MODEL_IDLE_TIMEOUT_MS: '5000' };

export const chatPath = (sessionId: string) => `${API}/sessions/${sessionId}/chat`;

/** The session's messages, oldest first (first page). */
export async function messagesOf(h: Harness, t: Tenant, sessionId: string): Promise<Message[]> {
  return expectSuccess<{ items: Message[] }>(await h.http.get(`${API}/sessions/${sessionId}/messages`).set(t.auth)).items;
}

/** A catalog entry as GET /models lists it. */
export async function modelOf(h: Harness, t: Tenant, id: string): Promise<Model> {
  const { items } = expectSuccess<{ items: Model[] }>(await h.http.get(`${API}/models`).set(t.auth));
  const found = items.find((m) => m.id === id);
  expect(found, `model ${id} in GET /models`).toBeDefined();
  return found!;
}

/** What the contract says a reply costs: ceil((in × inPrice + out × outPrice) / 1e6), in creditMicro. */
export function costOf(usage: { inputTokens: number; outputTokens: number }, m: Model): number {
  const micro =
    BigInt(usage.inputTokens) * BigInt(m.inputCreditMicroPerMTok) + BigInt(usage.outputTokens) * BigInt(m.outputCreditMicroPerMTok);
  return Number((micro + 999_999n) / 1_000_000n);
}

/** The org's stored balance, in creditMicro. */
export async function balanceOf(h: Harness, orgId: string): Promise<number> {
  const org = await h.db.prisma.organization.findUniqueOrThrow({ where: { id: orgId }, select: { creditBalanceMicro: true } });
  return Number(org.creditBalanceMicro);
}

/** Asserts that the balance is the sum of the org's ledger, and that GET /billing/credits shows it. */
export async function expectLedgerConsistent(h: Harness, t: Tenant): Promise<number> {
  const sum = await h.db.prisma.creditLedger.aggregate({ where: { orgId: t.orgId }, _sum: { amountMicro: true } });
  const balance = await balanceOf(h, t.orgId);
  expect(Number(sum._sum.amountMicro ?? 0n)).toBe(balance);
  const shown = expectSuccess<{ credits: number; creditMicro: number }>(await h.http.get(`${API}/billing/credits`).set(t.auth));
  expect(shown).toEqual({ creditMicro: balance, credits: balance / 1_000_000 });
  return balance;
}

/** Spends the org's whole balance (and `more`) through the ledger, so the ledger stays the balance's sum. */
export async function drainCredits(h: Harness, orgId: string, more = 0n): Promise<void> {
  const balance = BigInt(await balanceOf(h, orgId));
  await h.db.prisma.$transaction((tx) => addToLedger(tx, orgId, 'debit', balance + more, { note: 'test: drained' }));
}

/** What a refused or failed chat must leave: the session's messages, the balance and the ledger. */
export async function storedState(h: Harness, t: Tenant, sessionId: string) {
  const [messages, balance, ledger] = await Promise.all([
    h.db.prisma.message.count({ where: { sessionId } }),
    balanceOf(h, t.orgId),
    h.db.prisma.creditLedger.count({ where: { orgId: t.orgId } }),
  ]);
  return { messages, balance, ledger };
}

export interface SseFrame {
  /** The event name; undefined for a comment. */
  event?: string;
  data?: any;
  /** A comment line's text without the colon, e.g. ` keep-alive`. */
  comment?: string;
}

/** The complete frames of an event stream's text (a trailing partial frame is left out). */
export function parseSse(text: string): SseFrame[] {
  const blocks = text.split('\n\n');
  blocks.pop(); // after the last separator: empty, or a frame still arriving
  return blocks.map((block) => {
    const frame: SseFrame = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) frame.comment = line.slice(1);
      else if (line.startsWith('event: ')) frame.event = line.slice('event: '.length);
      else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice('data: '.length));
      else throw new Error(`unexpected SSE line ${JSON.stringify(line)}`);
    }
    return frame;
  });
}

/** The named events of a stream, keep-alive comments left out. */
export const eventsOf = (frames: SseFrame[]) => frames.filter((f) => f.event !== undefined);

/** A chat request on a real socket, readable while it arrives. */
export interface LiveChat {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every frame so far. */
  frames: SseFrame[];
  /** Whether the response has ended. */
  ended: boolean;
  /** Resolves with the first frame matching `pred` (already received or still to come). */
  waitFor(pred: (f: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>;
  /** Resolves once the response ended: its text, and the JSON body when it was JSON. */
  finished: Promise<{ status: number; headers: IncomingHttpHeaders; text: string; body: unknown }>;
  /** Destroys the client socket, as a client that goes away. */
  destroy(): void;
}

/** POSTs a chat to the app listening on `port`; resolves once the response headers arrived. */
export function openChat(
  port: number,
  key: string,
  sessionId: string,
  body: unknown,
  headers: Record<string, string> = { Accept: 'text/event-stream' },
): Promise<LiveChat> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    let req: ClientRequest | undefined = undefined;
    req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: chatPath(sessionId),
        agent: false,
        headers: {
          Authorization: `Bearer ${key}`,
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(payload)),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        const waiters = new Set<() => void>();
        const live: LiveChat = {
          status: res.statusCode ?? 0,
          headers: res.headers,
          frames: [],
          ended: false,
          waitFor(pred, timeoutMs = 5_000) {
            return new Promise((ok, fail) => {
              const check = () => {
                const found = live.frames.find(pred);
                if (found) {
                  waiters.delete(check);
                  clearTimeout(timer);
                  ok(found);
                } else if (live.ended) {
                  waiters.delete(check);
                  clearTimeout(timer);
                  fail(new Error(`stream ended without the frame; got ${JSON.stringify(live.frames)}`));
                }
              };
              const timer = setTimeout(() => {
                waiters.delete(check);
                fail(new Error(`no such frame within ${timeoutMs} ms; got ${JSON.stringify(live.frames)}`));
              }, timeoutMs);
              waiters.add(check);
              check();
            });
          },
          finished: new Promise((done) => {
            const end = () => {
              if (live.ended) return;
              live.ended = true;
              for (const w of [...waiters]) w();
              let parsed: unknown = text;
              try {
                parsed = JSON.parse(text);
              } catch {
                // an event stream, not JSON
              }
              done({ status: live.status, headers: res.headers, text, body: parsed });
            };
            res.on('end', end);
            res.on('close', end);
            res.on('error', end);
          }),
          destroy: () => req!.destroy(),
        };
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (String(res.headers['content-type']).startsWith('text/event-stream')) live.frames = parseSse(text);
          for (const w of [...waiters]) w();
        });
        resolve(live);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Polls `fn` until it answers something `ok` accepts, for at most `ms`. */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 2_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}
