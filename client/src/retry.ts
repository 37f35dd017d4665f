import { AlumiaError, isAlumiaError } from './errors.js';
import { exhaustedForMs, parseRateLimit, parseRetryAfter } from './rate-limit.js';

export { parseRetryAfter };

/** How the client retries. A request is retried only when it is safe to send twice (see {@link isIdempotent}). */
export interface RetryOptions {
  /** Retries after the first attempt; 0 turns retrying off. Default 2. */
  max: number;
  /** The first backoff window in milliseconds; it doubles on each retry. Default 300. */
  baseDelayMs: number;
  /**
   * The largest backoff window in milliseconds. Also the longest `Retry-After` the client waits for: when
   * the server asks for more, the error is thrown at once with `retryAfterMs` set. Default 10000.
   */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { max: 2, baseDelayMs: 300, maxDelayMs: 10_000 };

/** Answers worth another try: the server is overloaded or rate limiting, and did nothing. */
const RETRY_STATUSES = new Set([429, 503]);

/**
 * Whether sending the request twice cannot do anything twice: GET, HEAD, PUT, DELETE and OPTIONS, and a
 * POST that carries an `Idempotency-Key` (the server replays the first answer). PATCH and a plain POST
 * are never retried.
 */
export function isIdempotent(request: Request): boolean {
  switch (request.method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
    case 'PUT':
    case 'DELETE':
    case 'OPTIONS':
      return true;
    case 'POST':
      return request.headers.has('Idempotency-Key');
    default:
      return false;
  }
}

/** Capped exponential backoff with full jitter: a uniform delay in [0, min(max, base * 2^retry)). */
export function backoffDelay(retry: number, options: RetryOptions, random: () => number = Math.random): number {
  const window = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return Math.floor(random() * window);
}

export interface TransportOptions {
  fetch: typeof fetch;
  retry: RetryOptions;
  /** Per attempt; 0 for none. */
  timeoutMs: number;
  /** Sees every HTTP answer, retried ones included (the client keeps the last rate-limit figures). */
  onResponse?: (response: Response) => void;
}

/**
 * Wraps `fetch` with timeouts and retries, so every SDK call goes through one policy. Failures without an
 * HTTP answer become AlumiaErrors (`NETWORK_ERROR`, `TIMEOUT`, `ABORTED`); HTTP answers are returned as
 * they are, after retries, for the caller to unwrap.
 */
export function retryingFetch({ fetch: baseFetch, retry, timeoutMs, onResponse }: TransportOptions): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const callerSignal = request.signal;
    const retriable = isIdempotent(request);
    for (let attempt = 0; ; attempt++) {
      const last = !retriable || attempt >= retry.max;
      const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
      const signal = timeout ? AbortSignal.any([callerSignal, timeout]) : callerSignal;
      // Each attempt sends a copy, so the body can be sent again.
      const attemptRequest = new Request(last ? request : request.clone(), { signal });
      let response: Response;
      try {
        response = await baseFetch(attemptRequest);
      } catch (cause) {
        const error = failure(cause, request, callerSignal, timeout, timeoutMs);
        if (last || error.code === 'ABORTED') throw error;
        await sleep(backoffDelay(attempt, retry), callerSignal, request);
        continue;
      }
      onResponse?.(response);
      if (last || !RETRY_STATUSES.has(response.status)) return response;
      // Retry-After first; without it, the reset of a limit the answer reports as used up.
      const retryAfter = parseRetryAfter(response.headers.get('Retry-After')) ?? exhaustedForMs(parseRateLimit(response.headers));
      if (retryAfter !== undefined && retryAfter > retry.maxDelayMs) return response;
      await response.body?.cancel().catch(() => {});
      await sleep(retryAfter ?? backoffDelay(attempt, retry), callerSignal, request);
    }
  };
}

function failure(
  cause: unknown,
  request: Request,
  callerSignal: AbortSignal,
  timeout: AbortSignal | undefined,
  timeoutMs: number,
): AlumiaError {
  if (isAlumiaError(cause)) return cause;
  const target = `${request.method} ${request.url}`;
  if (callerSignal.aborted) return new AlumiaError({ code: 'ABORTED', status: 0, message: `${target} was aborted`, cause });
  if (timeout?.aborted)
    return new AlumiaError({ code: 'TIMEOUT', status: 0, message: `${target} got no answer within ${timeoutMs} ms`, cause });
  return new AlumiaError({ code: 'NETWORK_ERROR', status: 0, message: `${target} failed: ${describe(cause)}`, cause });
}

/** The most telling message of a fetch failure: Node puts the socket error in `cause`. */
export function describe(error: unknown): string {
  let message = '';
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const m = (e as { message?: unknown }).message;
    if (typeof m === 'string' && m) message = m;
    e = (e as { cause?: unknown }).cause;
  }
  return message || String(error);
}

function sleep(ms: number, signal: AbortSignal, request: Request): Promise<void> {
  const aborted = () => new AlumiaError({ code: 'ABORTED', status: 0, message: `${request.method} ${request.url} was aborted` });
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(aborted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
