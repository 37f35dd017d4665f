// The client side of the chat bench (bench/chat.ts) that autocannon cannot do: timing the first token of a
// streamed answer (autocannon times whole responses), and holding many streamed chats open at once. Plain
// node:http, so the timings include nothing but the request, the socket and our own event loop.
import http from 'node:http';
import { quantile, round, sleep } from './lib.js';
import { rssMb } from './machine.js';

export interface PostRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface StreamTiming {
  status: number;
  /** ms from just before the request was written to the first chunk that completed `marker`; null if never. */
  firstMs: number | null;
  totalMs: number;
  body: string;
}

/** The first content chunk of an OpenAI-style stream (the opening chunk carries `"content":""`). */
export const UPSTREAM_FIRST_TOKEN = /"content":"[^"]/;
/** The first token as the server's chat stream sends it. */
export const SERVER_FIRST_TOKEN = /^event: delta$/m;

/**
 * POSTs `req` to `base` and resolves once the response has ended (or rejects on a socket error or
 * `timeoutMs` of silence). `onHeaders` runs when the status line and headers have arrived.
 */
export function timeStream(
  agent: http.Agent,
  base: URL,
  req: PostRequest,
  marker: RegExp,
  options: { timeoutMs?: number; onHeaders?: () => void } = {},
): Promise<StreamTiming> {
  return new Promise((resolve, reject) => {
    let body = '';
    let firstMs: number | null = null;
    const started = performance.now();
    const r = http.request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: 'POST',
        path: req.path,
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
      },
      (res) => {
        options.onHeaders?.();
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          // Searching the whole body is quadratic, but bodies here are a few KB and it stops at the first hit.
          if (firstMs === null && marker.test(body)) firstMs = performance.now() - started;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, firstMs, totalMs: performance.now() - started, body }));
        res.on('error', reject);
      },
    );
    const timeoutMs = options.timeoutMs ?? 10_000;
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no data for ${timeoutMs} ms`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

/** What is wrong with a finished server chat stream, or null: a 200 that streamed deltas, a reply and done. */
export function serverStreamProblem(t: StreamTiming): string | null {
  if (t.status !== 200) return `status ${t.status}: ${t.body.slice(0, 200)}`;
  if (/^event: error$/m.test(t.body)) return `error event: ${/^event: error\ndata: (.*)$/m.exec(t.body)?.[1]?.slice(0, 200)}`;
  if (t.firstMs === null) return 'no delta event';
  if (!/^event: reply$/m.test(t.body)) return 'no reply event';
  if (!/^event: done$/m.test(t.body)) return 'no done event';
  return null;
}

function upstreamStreamProblem(t: StreamTiming): string | null {
  if (t.status !== 200) return `status ${t.status}`;
  if (t.firstMs === null) return 'no content chunk';
  if (!t.body.includes('data: [DONE]')) return 'no [DONE]';
  return null;
}

export interface TtftResult {
  n: number;
  directP50: number;
  serverP50: number;
  /** p50(server) - p50(direct): the number. */
  overheadP50: number;
  /** The median of the per-pair differences: the same overhead, robust to drift between pairs. */
  pairedDiffP50: number;
  directP90: number;
  serverP90: number;
  serverP99: number;
  failures: string[];
}

/**
 * Time to first token directly from the upstream and through the server, `n` sequential pairs after `warmup`
 * pairs, each over its own keep-alive connection. Within a pair the order alternates, so neither side is
 * always the one that runs right after the other's work.
 */
export async function measureTtft(options: {
  upstream: URL;
  server: URL;
  direct: () => PostRequest;
  chat: () => PostRequest;
  n: number;
  warmup: number;
}): Promise<TtftResult> {
  const directAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const serverAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const direct: number[] = [];
  const server: number[] = [];
  const diffs: number[] = [];
  const failures: string[] = [];
  try {
    for (let i = 0; i < options.warmup + options.n; i++) {
      const runDirect = async () => {
        const t = await timeStream(directAgent, options.upstream, options.direct(), UPSTREAM_FIRST_TOKEN);
        const problem = upstreamStreamProblem(t);
        if (problem) failures.push(`direct: ${problem}`);
        return t.firstMs;
      };
      const runServer = async () => {
        const t = await timeStream(serverAgent, options.server, options.chat(), SERVER_FIRST_TOKEN);
        const problem = serverStreamProblem(t);
        if (problem) failures.push(`server: ${problem}`);
        return t.firstMs;
      };
      let d: number | null, s: number | null;
      if (i % 2 === 0) {
        d = await runDirect();
        s = await runServer();
      } else {
        s = await runServer();
        d = await runDirect();
      }
      if (i < options.warmup || d === null || s === null) continue;
      direct.push(d);
      server.push(s);
      diffs.push(s - d);
    }
  } finally {
    directAgent.destroy();
    serverAgent.destroy();
  }
  const q = (list: number[], p: number) => round(quantile(Float64Array.from(list).sort(), p), 3);
  return {
    n: direct.length,
    directP50: q(direct, 0.5),
    serverP50: q(server, 0.5),
    overheadP50: round(q(server, 0.5) - q(direct, 0.5), 3),
    pairedDiffP50: q(diffs, 0.5),
    directP90: q(direct, 0.9),
    serverP90: q(server, 0.9),
    serverP99: q(server, 0.99),
    failures: failures.slice(0, 20),
  };
}

export interface HoldResult {
  streams: number;
  /** Streams that ended with a 200, deltas, a reply and `event: done`. */
  completed: number;
  errors: number;
  /** Problems by kind (first 80 characters), with how many streams had each. */
  problems: Record<string, number>;
  /** The end of one stream's body for each kind of problem. */
  examples: Record<string, string>;
  /** Most streams open at the same moment (response headers received, response not yet ended). */
  maxOpen: number;
  /** ms from the first request until every stream was open at once; null if that never happened. */
  allOpenAfterMs: number | null;
  firstDeltaP50: number;
  firstDeltaP99: number;
  firstDeltaMax: number;
  durationMs: number;
  /** Before the burst, the highest sample during it, and 1 s after the last stream ended. */
  rssMb: { before: number | null; peak: number | null; after: number | null };
  /** One sample a second: seconds since the start, open streams, server RSS in MB. */
  samples: Array<[number, number, number | null]>;
}

/**
 * Opens `count` streamed chats at once (one synchronous loop of requests over an agent allowing them all
 * their own connection), or spread evenly over `rampMs`, waits for every one to end, and samples the
 * server's RSS and the number of open streams every `sampleMs` meanwhile. Bounded: after `timeoutMs` the
 * remaining sockets are destroyed.
 */
export async function holdStreams(options: {
  server: URL;
  serverPid: number;
  count: number;
  make: (i: number) => PostRequest;
  timeoutMs: number;
  rampMs?: number;
  sampleMs?: number;
}): Promise<HoldResult> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: options.count + 16 });
  const before = rssMb(options.serverPid);
  let open = 0;
  let maxOpen = 0;
  let allOpenAfterMs: number | null = null;
  let peak = before ?? 0;
  const samples: HoldResult['samples'] = [];
  const started = performance.now();
  const sampleMs = options.sampleMs ?? 100;
  let lastSecond = -1;
  const sampler = setInterval(() => {
    const rss = rssMb(options.serverPid);
    if (rss !== null) peak = Math.max(peak, rss);
    const s = Math.floor((performance.now() - started) / 1000);
    if (s !== lastSecond) {
      lastSecond = s;
      samples.push([s, open, rss]);
    }
  }, sampleMs);
  const guard = setTimeout(() => agent.destroy(), options.timeoutMs);
  const problems: Record<string, number> = {};
  const examples: Record<string, string> = {};
  const note = (problem: string, body: string) => {
    const kind = problem.slice(0, 80);
    problems[kind] = (problems[kind] ?? 0) + 1;
    examples[kind] ??= body.slice(-600);
  };
  const firstDeltas: number[] = [];
  let completed = 0;
  const rampMs = options.rampMs ?? 0;
  const runs = Array.from({ length: options.count }, async (_, i) => {
    if (rampMs > 0) await sleep((i * rampMs) / options.count);
    let opened = false;
    const close = () => {
      if (opened) open--;
      opened = false;
    };
    return timeStream(agent, options.server, options.make(i), SERVER_FIRST_TOKEN, {
      timeoutMs: options.timeoutMs,
      onHeaders: () => {
        opened = true;
        maxOpen = Math.max(maxOpen, ++open);
        if (open === options.count && allOpenAfterMs === null) allOpenAfterMs = round(performance.now() - started, 0);
      },
    }).then(
      (t) => {
        close();
        const problem = serverStreamProblem(t);
        if (problem) note(problem, t.body);
        else completed++;
        if (t.firstMs !== null) firstDeltas.push(t.firstMs);
      },
      (err: Error) => {
        close();
        note(`request error: ${err.message}`, '');
      },
    );
  });
  await Promise.all(runs);
  const durationMs = round(performance.now() - started, 0);
  clearTimeout(guard);
  clearInterval(sampler);
  agent.destroy();
  // Memory a moment after the last stream: what the server keeps (or has not yet collected).
  await sleep(1_000);
  const sorted = Float64Array.from(firstDeltas).sort();
  return {
    streams: options.count,
    completed,
    errors: options.count - completed,
    problems,
    examples,
    maxOpen,
    allOpenAfterMs,
    firstDeltaP50: round(quantile(sorted, 0.5), 1),
    firstDeltaP99: round(quantile(sorted, 0.99), 1),
    firstDeltaMax: round(sorted[sorted.length - 1] ?? NaN, 1),
    durationMs,
    rssMb: { before, peak: round(peak, 1), after: rssMb(options.serverPid) },
    samples,
  };
}
