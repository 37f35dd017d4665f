import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in model provider: a real HTTP server speaking the OpenAI Chat Completions wire format, so the
 * code under test talks to it through the real `openai` package over TCP. Each request takes the next
 * queued Behavior (or the fallback, by default a deterministic echo), and every request is recorded,
 * including whether the client went away before the answer was complete.
 */

export interface UpstreamRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (null when it was not JSON). */
  body: any;
  /** The client closed the connection before the response ended. */
  aborted: boolean;
  /** Date.now() when the abort was seen. */
  abortedAt?: number;
}

export type Behavior =
  /** A completion; `chunks` wins over `text` (text = their join). `usage: null` sends no usage at all. */
  | {
      kind: 'reply';
      text?: string;
      chunks?: string[];
      usage?: { prompt_tokens: number; completion_tokens: number } | null;
      firstDelayMs?: number;
      gapMs?: number;
    }
  /** An error status; `body` replaces the default OpenAI-style error body (a string is sent as is). */
  | { kind: 'status'; status: number; retryAfter?: string; body?: unknown }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Reset the connection without any response. */
  | { kind: 'reset' }
  /** Send the stream's headers and these chunks, then reset the connection or hang. */
  | { kind: 'stop-mid-stream'; chunks: string[]; then: 'reset' | 'hang' };

export interface Upstream {
  /** What openai's `baseURL` option takes, e.g. http://127.0.0.1:PORT/v1. */
  baseURL: string;
  port: number;
  /** Every /chat/completions request received, in order (the same array for the upstream's lifetime). */
  requests: UpstreamRequest[];
  /** Behaviors for the next requests, one per request; when the queue is empty the fallback applies. */
  enqueue(...b: Behavior[]): void;
  setFallback(b: Behavior): void;
  /** Resolves once `n` of the recorded requests were aborted by their client; rejects after timeoutMs. */
  waitForAborts(n: number, timeoutMs?: number): Promise<void>;
  /** Clears the queue and the recorded requests, and restores the echo fallback. */
  reset(): void;
  /** Closes the server and destroys every open connection, hanging ones included. */
  close(): Promise<void>;
}

const ECHO: Behavior = { kind: 'reply' };
const SSE = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** The text of a message's content: a string, or the text parts of a content array. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: any) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

/** `text` in about four pieces cut between words (two words give two pieces); their join is `text`. */
export function splitText(text: string): string[] {
  const words = text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
  const per = Math.ceil(words.length / 4);
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += per) pieces.push(words.slice(i, i + per).join(''));
  return pieces;
}

const errorBody = (message: string, type: string, code?: string) => JSON.stringify({ error: { message, type, code } });

function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export async function startUpstream(options: { apiKey?: string } = {}): Promise<Upstream> {
  const requests: UpstreamRequest[] = [];
  let queue: Behavior[] = [];
  let fallback = ECHO;
  let closing = false;
  let seq = 0;
  const timers = new Set<NodeJS.Timeout>();
  const open = new Set<ServerResponse>(); // so close() can wait for the last 'close' event
  const waiters = new Set<{ n: number; settle: (err?: Error) => void }>();

  const abortCount = () => requests.filter((r) => r.aborted).length;
  const notify = () => {
    if (waiters.size === 0) return;
    const count = abortCount();
    for (const w of waiters) if (count >= w.n) w.settle();
  };

  const server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('error', () => {}); // the client left while sending: there is nobody to answer
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const method = req.method ?? 'GET';
      if (method !== 'POST' || path !== '/v1/chat/completions') {
        return sendJson(res, 404, errorBody(`Unknown request URL: ${method} ${path}`, 'invalid_request_error'));
      }
      let body: any = null;
      try {
        body = JSON.parse(Buffer.concat(parts).toString());
      } catch {
        // recorded as null, answered 400 below
      }
      const record: UpstreamRequest = { method, path, headers: req.headers, body, aborted: false };
      requests.push(record);

      // At most one timer per request is pending; it goes when the response closes, however it closes.
      let timer: NodeJS.Timeout | undefined;
      const after = (ms: number | undefined, fn: () => void) => {
        if (!ms) return fn();
        timer = setTimeout(() => {
          timers.delete(timer!);
          fn();
        }, ms);
        timers.add(timer);
      };
      // Our own resets and close() also cut responses short; only the client leaving counts as an abort.
      let selfClosed = false;
      const resetSocket = () => {
        selfClosed = true;
        req.socket.resetAndDestroy();
      };
      res.on('close', () => {
        if (timer) {
          clearTimeout(timer);
          timers.delete(timer);
        }
        if (res.writableEnded || selfClosed || closing) return;
        record.aborted = true;
        record.abortedAt = Date.now();
        notify();
      });

      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return sendJson(res, 401, errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
      }
      if (typeof body !== 'object' || body === null) {
        return sendJson(res, 400, errorBody('We could not parse the JSON body of your request.', 'invalid_request_error'));
      }

      const b = queue.shift() ?? fallback;
      if (b.kind === 'hang') return;
      if (b.kind === 'reset') return resetSocket();
      if (b.kind === 'status') {
        let payload = errorBody(`upstream error ${b.status}`, 'server_error');
        if (b.body !== undefined) payload = typeof b.body === 'string' ? b.body : JSON.stringify(b.body);
        return sendJson(res, b.status, payload, b.retryAfter === undefined ? {} : { 'retry-after': b.retryAfter });
      }

      const id = `chatcmpl-${++seq}`;
      const created = Math.floor(Date.now() / 1000);
      const model: unknown = body.model;
      const chunk = (choices: unknown[], extra?: object) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`;
      const delta = (d: object, finish: string | null = null) => chunk([{ index: 0, delta: d, finish_reason: finish }]);
      const head = delta({ role: 'assistant', content: '' });

      if (b.kind === 'stop-mid-stream') {
        res.writeHead(200, SSE);
        // Reset only once the chunks have left, so the client does see them before the connection dies.
        res.write(head + b.chunks.map((c) => delta({ content: c })).join(''), () => {
          if (b.then === 'reset') resetSocket();
        });
        return;
      }

      const messages: any[] = Array.isArray(body.messages) ? body.messages : [];
      const text = b.chunks?.join('') ?? b.text ?? `Echo: ${textOf(messages.at(-1)?.content)}`;
      const promptChars = messages.reduce((n: number, m) => n + textOf(m?.content).length, 0);
      const estimate = { prompt_tokens: Math.ceil(promptChars / 4), completion_tokens: Math.ceil(text.length / 4) };
      const u = b.usage === undefined ? estimate : b.usage;
      const usage = u === null ? undefined : { ...u, total_tokens: u.prompt_tokens + u.completion_tokens };

      if (!body.stream) {
        const choices = [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }];
        const completion = { id, object: 'chat.completion', created, model, choices, usage };
        return after(b.firstDelayMs, () => sendJson(res, 200, JSON.stringify(completion)));
      }

      const tail = delta({}, 'stop') + (usage && body.stream_options?.include_usage ? chunk([], { usage }) : '') + 'data: [DONE]\n\n';
      const pieces = (b.chunks ?? splitText(text)).map((c) => delta({ content: c }));
      // Without a gap the whole stream is one write: cheap under load, same bytes for the client.
      const groups = b.gapMs ? [head + (pieces[0] ?? ''), ...pieces.slice(1)] : [head + pieces.join('')];
      groups[groups.length - 1] += tail;
      const step = (i: number) => {
        if (i === groups.length - 1) return res.end(groups[i]);
        res.write(groups[i]);
        after(b.gapMs, () => step(i + 1));
      };
      // Headers go with the first chunk, so a delayed first token also means no headers yet.
      after(b.firstDelayMs, () => {
        res.writeHead(200, SSE);
        step(0);
      });
    });
  });
  server.keepAliveTimeout = 30_000; // clients keep their pooled connections; close() destroys them anyway
  server.on('connection', (socket) => socket.setNoDelay(true));
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    enqueue: (...b) => void queue.push(...b),
    setFallback: (b) => void (fallback = b),
    waitForAborts(n, timeoutMs = 5_000) {
      return new Promise<void>((resolve, reject) => {
        const w = {
          n,
          settle: (err?: Error) => {
            waiters.delete(w);
            clearTimeout(timeout);
            if (err) reject(err);
            else resolve();
          },
        };
        const fail = () => w.settle(new Error(`expected ${n} aborted requests within ${timeoutMs} ms, saw ${abortCount()}`));
        const timeout = setTimeout(fail, timeoutMs);
        waiters.add(w);
        notify();
      });
    },
    reset() {
      queue = [];
      requests.length = 0;
      fallback = ECHO;
    },
    async close() {
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const w of waiters) w.settle(new Error('upstream closed'));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      // Destroyed responses report 'close' only after the server's; wait, so aborts are settled on return.
      await Promise.all([closed, ...[...open].map((r) => once(r, 'close'))]);
    },
  };
}
