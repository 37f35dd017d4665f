// The call plumbing every resource shares: per-call options, the SDK request basics, and `unwrap`, which
// turns an SDK result into the envelope's `data` or one AlumiaError. Apart from client.ts so the resource
// modules can use it without an import cycle.
import type { Client as SdkClient } from '../../generated/sdk/client/index.js';
import { AlumiaError, errorFromResponse, isAlumiaError } from './errors.js';
import { describe } from './retry.js';

/** Options every method accepts. */
export interface CallOptions {
  /** Aborts the request (and any retry wait); the method then throws an AlumiaError with code `ABORTED`. */
  signal?: AbortSignal;
}

/** Options of methods that create something (POST). */
export interface CreateOptions extends CallOptions {
  /**
   * Sent as `Idempotency-Key`: the server runs the request once and replays its answer to repeats, which is
   * also what lets the client retry the POST after a 503, a 429 or a network failure. Without it a POST is
   * never retried. Use a fresh unique value per logical operation (a UUID, say) and reuse it only to repeat
   * that same operation.
   */
  idempotencyKey?: string;
}

/**
 * What the resource classes hold. Internal; not exported from index.ts.
 * - `client`: the SDK client every ordinary call goes through (timeouts and retries, see retry.ts).
 * - `stream`: the same server, key and headers without retries or a whole-request timeout, for event
 *   streams; `idleTimeoutMs` is the longest the stream may stay silent (see chat-stream.ts).
 */
export interface Transport {
  client: SdkClient;
  stream: { client: SdkClient; idleTimeoutMs: number };
}

type SdkResult<E> = Promise<{ data?: E | undefined; error?: unknown; response?: Response | undefined }>;

/** Awaits an SDK call and returns the envelope's `data`, or throws one AlumiaError. */
export async function unwrap<E extends { success: true; data: unknown }>(call: SdkResult<E>): Promise<E['data']> {
  let result: Awaited<SdkResult<E>>;
  try {
    result = await call;
  } catch (error) {
    throw asAlumiaError(error);
  }
  const { data, error, response } = result;
  if (error !== undefined || !response?.ok) throw failureOf(error, response);
  if (typeof data !== 'object' || data === null || (data as { success?: unknown }).success !== true || !('data' in data)) {
    throw new AlumiaError({
      code: 'INVALID_RESPONSE',
      status: response.status,
      message: `HTTP ${response.status} answer without the success envelope`,
      requestId: response.headers.get('X-Request-Id') ?? undefined,
    });
  }
  return data.data;
}

/** The AlumiaError of an SDK result that is not a success: the API's envelope, or what kept it from arriving. */
export function failureOf(error: unknown, response: Response | undefined): AlumiaError {
  if (isAlumiaError(error)) return error;
  if (!response) return asAlumiaError(error);
  return errorFromResponse(response, error);
}

/** Failures thrown while reading an answer (a body cut off, a timeout mid-body, JSON that is not JSON). */
function asAlumiaError(error: unknown): AlumiaError {
  if (isAlumiaError(error)) return error;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError')
    return new AlumiaError({ code: 'TIMEOUT', status: 0, message: 'The answer did not arrive in time', cause: error });
  if (name === 'AbortError') return new AlumiaError({ code: 'ABORTED', status: 0, message: 'The request was aborted', cause: error });
  if (error instanceof SyntaxError)
    return new AlumiaError({
      code: 'INVALID_RESPONSE',
      status: 0,
      message: `The answer is not valid JSON: ${error.message}`,
      cause: error,
    });
  return new AlumiaError({ code: 'NETWORK_ERROR', status: 0, message: describe(error), cause: error });
}

/** SDK options shared by every call: our client instance and the caller's signal. */
export function base(t: Transport, options: CallOptions = {}) {
  return { client: t.client, ...(options.signal ? { signal: options.signal } : {}) };
}

export function idempotency(options: CreateOptions = {}) {
  return options.idempotencyKey === undefined ? {} : { headers: { 'Idempotency-Key': options.idempotencyKey } };
}
