import type { ErrorCode, ErrorDetail } from '../generated/sdk/types.gen.js';
import { redactKeys } from './logger.js';

/** The one place where an error code meets its HTTP status. */
export const statusOf: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  PAYMENT_REQUIRED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  REQUEST_TIMEOUT: 408,
  LENGTH_REQUIRED: 411,
  PAYLOAD_TOO_LARGE: 413,
  VALIDATION_ERROR: 422,
  TOO_MANY_REQUESTS: 429,
  REQUEST_HEADERS_TOO_LARGE: 431,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};

export type { ErrorCode, ErrorDetail };

/** Every failure the API reports on purpose is an ApiError; anything else becomes a 500. */
export class ApiError extends Error {
  readonly status: number;
  /** Sent as Retry-After on a 503; one second unless the cause knows better (a provider's own value). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    options: { retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = statusOf[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const notFound = (what: string) => new ApiError('NOT_FOUND', `${what} not found`);

/**
 * The error envelope as sent, written here only. Messages may quote the request (a path, a parameter
 * name): a key in them is never repeated.
 */
export function errorEnvelope(error: ApiError, requestId: string): string {
  const details = error.details?.map((d) => ({ path: redactKeys(d.path), message: redactKeys(d.message) }));
  return JSON.stringify({
    success: false,
    error: { code: error.code, message: redactKeys(error.message), requestId, ...(details && details.length > 0 ? { details } : {}) },
  });
}
