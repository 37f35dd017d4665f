import type { ErrorCode, ErrorDetail, ErrorEnvelope } from '../../generated/sdk/index.js';
import { exhaustedForMs, parseRateLimit, parseRetryAfter, type RateLimit } from './rate-limit.js';

/**
 * Codes the client produces itself, when no error envelope came back from the server:
 * - `NETWORK_ERROR`: the request never got an HTTP answer (connection refused or reset, DNS failure, TLS
 *   error, CORS refusal in a browser). `status` is 0.
 * - `TIMEOUT`: no answer within `timeoutMs`. `status` is 0.
 * - `ABORTED`: the caller's `signal` aborted the request. `status` is 0.
 * - `INVALID_RESPONSE`: an HTTP answer that is not the API's envelope (say, an HTML 502 page of a proxy).
 *   `status` is the HTTP status.
 */
export type ClientErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'ABORTED' | 'INVALID_RESPONSE';

/** Every `code` an {@link AlumiaError} can carry: the API's codes plus the client's own. */
export type AlumiaErrorCode = ErrorCode | ClientErrorCode;

const API_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'PAYMENT_REQUIRED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'LENGTH_REQUIRED',
  'PAYLOAD_TOO_LARGE',
  'VALIDATION_ERROR',
  'TOO_MANY_REQUESTS',
  'INTERNAL_ERROR',
  'SERVICE_UNAVAILABLE',
]);

export interface AlumiaErrorInit<C extends AlumiaErrorCode> {
  code: C;
  message: string;
  status: number;
  requestId?: string | undefined;
  details?: readonly ErrorDetail[] | undefined;
  retryAfterMs?: number | undefined;
  rateLimit?: readonly RateLimit[] | undefined;
  cause?: unknown;
}

/**
 * The one error every client method throws. Branch on `code` (never on `message`):
 *
 * ```ts
 * try { await client.agents.get('nope') }
 * catch (e) { if (isAlumiaError(e, 'NOT_FOUND')) ... else throw e }
 * ```
 */
export class AlumiaError<C extends AlumiaErrorCode = AlumiaErrorCode> extends Error {
  override readonly name = 'AlumiaError';
  /** The API's error code, or one of the client's own codes (see {@link ClientErrorCode}). */
  readonly code: C;
  /** The HTTP status; 0 when no HTTP answer arrived. */
  readonly status: number;
  /** The server's request id (the `X-Request-Id` header): quote it when reporting a problem. */
  readonly requestId: string | undefined;
  /** One entry per offending input field on 400 and 422 answers; empty otherwise. */
  readonly details: readonly ErrorDetail[];
  /**
   * The delay the server asked for, in milliseconds: its `Retry-After`, or else the reset of a limit its
   * `RateLimit` field reports as used up; undefined when it asked for none.
   */
  readonly retryAfterMs: number | undefined;
  /** The limits the answer reported (`RateLimit` and `RateLimit-Policy`); empty when it reported none. */
  readonly rateLimit: readonly RateLimit[];

  constructor(init: AlumiaErrorInit<C>) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.details = init.details ?? [];
    this.retryAfterMs = init.retryAfterMs;
    this.rateLimit = init.rateLimit ?? [];
  }

  /** Narrows this error to the given codes: `if (err.is('NOT_FOUND', 'FORBIDDEN')) ...`. */
  is<K extends AlumiaErrorCode>(...codes: K[]): this is AlumiaError<K> {
    return (codes as AlumiaErrorCode[]).includes(this.code);
  }

  /** Whether this error is one of the API's codes (an envelope came back), not a client-side failure. */
  get fromServer(): boolean {
    return API_CODES.has(this.code);
  }
}

/**
 * A type guard for `catch` blocks. Without codes it checks for any AlumiaError; with codes it also
 * narrows `code`: after `isAlumiaError(e, 'UNAUTHORIZED', 'FORBIDDEN')`, `e.code` is
 * `'UNAUTHORIZED' | 'FORBIDDEN'`.
 */
export function isAlumiaError<C extends AlumiaErrorCode = AlumiaErrorCode>(error: unknown, ...codes: C[]): error is AlumiaError<C> {
  if (!isInstance(error)) return false;
  return codes.length === 0 || (codes as AlumiaErrorCode[]).includes(error.code);
}

/** `instanceof` alone narrows to `AlumiaError<any>`; this narrows to an AlumiaError of any code. */
function isInstance(error: unknown): error is AlumiaError {
  return error instanceof AlumiaError;
}

/** Builds the error for an HTTP answer that is not a success: the envelope when there is one. */
export function errorFromResponse(response: Response, body: unknown): AlumiaError {
  const headerId = response.headers.get('X-Request-Id') ?? undefined;
  const rateLimit = parseRateLimit(response.headers);
  const retryAfterMs = parseRetryAfter(response.headers.get('Retry-After')) ?? exhaustedForMs(rateLimit);
  if (isErrorEnvelope(body)) {
    const { code, message, requestId, details } = body.error;
    return new AlumiaError({ code, message, status: response.status, requestId: requestId ?? headerId, details, retryAfterMs, rateLimit });
  }
  const text = typeof body === 'string' ? body.trim().slice(0, 200) : '';
  return new AlumiaError({
    code: 'INVALID_RESPONSE',
    message: `Unexpected HTTP ${response.status} answer that is not an Alumia error envelope${text ? `: ${text}` : ''}`,
    status: response.status,
    requestId: headerId,
    retryAfterMs,
    rateLimit,
  });
}

function isErrorEnvelope(body: unknown): body is ErrorEnvelope {
  if (typeof body !== 'object' || body === null) return false;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === 'string' && API_CODES.has(code) && typeof message === 'string';
}
