import type { ErrorRequestHandler } from 'express';
import { ApiError, type ErrorDetail } from '../errors.js';
import { quote, redactKeys, type Logger } from '../logger.js';

// A well-typed value out of range is 422; anything about the shape of the input is 400.
const OUT_OF_RANGE = new Set([
  'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minItems', 'maxItems',
  'uniqueItems', 'pattern', 'format', 'enum', 'const', 'multipleOf', 'minProperties', 'maxProperties',
]);
// Combinators only echo their branches' errors; the branches decide.
const COMBINATORS = new Set(['oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else']);

interface ValidatorError {
  status: number;
  message: string;
  errors?: Array<{ path: string; message: string; errorCode?: string }>;
}

const isValidatorError = (err: unknown): err is ValidatorError =>
  typeof err === 'object' && err !== null && 'status' in err && Array.isArray((err as ValidatorError).errors);

/** `/body/name` or `.params.id` -> `body.name`, `path.id`. */
function fieldPath(raw: string): string {
  const parts = raw.split(/[/.]/).filter(Boolean);
  if (parts[0] === 'params') parts[0] = 'path';
  return parts.join('.');
}

function fromValidator(err: ValidatorError, method: string, url: string): ApiError {
  const items = err.errors ?? [];
  switch (err.status) {
    case 404:
      return new ApiError('NOT_FOUND', `No route ${quote(method, 16)} ${quote(url.split('?')[0]!)}`);
    case 405:
      return new ApiError('NOT_FOUND', `${quote(url.split('?')[0]!)} does not support ${quote(method, 16)}`);
    case 415:
      return new ApiError('BAD_REQUEST', 'The body must be JSON, sent with Content-Type: application/json', [
        { path: 'header.content-type', message: 'must be application/json' },
      ]);
  }
  if (err.status >= 500) return new ApiError('INTERNAL_ERROR', err.message);
  const details: ErrorDetail[] = items.map((e) =>
    // The validator reports a missing body as a missing property named "body".
    /required property 'body'/.test(e.message)
      ? { path: 'body', message: 'is required: send a JSON object' }
      : { path: fieldPath(e.path), message: e.message },
  );
  const keywords = items.map((e) => e.errorCode?.split('.')[0] ?? '').filter((k) => !COMBINATORS.has(k));
  const code = keywords.length > 0 && keywords.every((k) => OUT_OF_RANGE.has(k)) ? 'VALIDATION_ERROR' : 'BAD_REQUEST';
  const summary = details.map((d) => `${d.path} ${d.message}`).join('; ') || err.message;
  return new ApiError(code, summary, details);
}

/** Errors raised by express.json while reading the body. */
function fromBodyParser(err: { type?: string; status?: number; message: string; limit?: number }): ApiError | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return new ApiError('PAYLOAD_TOO_LARGE', `The request body is larger than ${err.limit} bytes`);
    case 'entity.parse.failed':
      return new ApiError('BAD_REQUEST', `The body is not valid JSON: ${err.message}`, [{ path: 'body', message: 'is not valid JSON' }]);
    case 'entity.verify.failed':
      return new ApiError('BAD_REQUEST', err.message, [{ path: 'body', message: 'is not valid UTF-8' }]);
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'request.size.invalid':
      return new ApiError('BAD_REQUEST', err.message);
  }
  return undefined;
}

// Error codes and messages that mean "the database is not there right now", from pg, PGlite and Prisma.
const UNAVAILABLE_CODES = new Set([
  'P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE',
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006',
  // A statement that did not finish in time (statement_timeout, lock_timeout): the database did not answer.
  '57014', '55P03',
]);
const UNAVAILABLE_KINDS = new Set(['ConnectionClosed', 'DatabaseNotReachable', 'SocketTimeout', 'TooManyConnections']);
const UNAVAILABLE_MESSAGE =
  /connection terminated|server has closed the connection|timeout exceeded when trying to connect|query read timeout|connection (refused|closed)|can't reach database|database system is (starting up|shutting down)|pglite is closed|database is unavailable|canceling statement due to (statement|lock) timeout/i;

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; errors?: unknown; meta?: { driverAdapterError?: unknown } };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  // Prisma's driver adapters replace the driver's code by a kind (ECONNRESET becomes ConnectionClosed).
  if (typeof e.kind === 'string' && UNAVAILABLE_KINDS.has(e.kind)) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  // Prisma keeps the driver's error (with the PostgreSQL code) under meta.driverAdapterError.
  if (isDatabaseUnavailable(e.meta?.driverAdapterError, depth + 1)) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}

/** An http-errors 4xx (body-parser, raw-body), which marks what is safe to show with `expose`. */
function isClientHttpError(err: unknown): err is { status: number; message: string } {
  if (!(err instanceof Error)) return false;
  const { expose, status } = err as Error & { expose?: unknown; status?: unknown };
  return expose === true && typeof status === 'number' && status >= 400 && status < 500;
}

function toApiError(err: unknown, method: string, url: string, isProduction: boolean): ApiError {
  if (err instanceof ApiError) return err;
  if (isValidatorError(err)) return fromValidator(err, method, url);
  const bodyError = err && typeof err === 'object' && 'type' in err ? fromBodyParser(err as never) : undefined;
  if (bodyError) return bodyError;
  // Any other client error raised while reading the request (a gzip body that does not inflate, say) is
  // the client's fault, not a 500.
  if (isClientHttpError(err)) {
    return err.status === 413
      ? new ApiError('PAYLOAD_TOO_LARGE', err.message)
      : new ApiError('BAD_REQUEST', `The request could not be read: ${err.message}`);
  }
  if (isDatabaseUnavailable(err)) return new ApiError('SERVICE_UNAVAILABLE', 'The database is unavailable; retry later');
  const message = !isProduction && err instanceof Error ? err.message : 'Internal server error';
  return new ApiError('INTERNAL_ERROR', message);
}

/** The one place errors become responses: the envelope, the status from the code table, one log line. */
export function errorHandler(options: { logger: Logger; isProduction: boolean }): ErrorRequestHandler {
  return (err, req, res, next) => {
    const apiError = toApiError(err, req.method, req.originalUrl, options.isProduction);
    if (apiError.status >= 500) {
      options.logger.error({ err, requestId: req.id, method: req.method, route: req.operation?.operationId }, 'request failed');
    }
    if (res.headersSent) return next(err);
    // Answered before the body was read (auth, size, browser-only): close rather than drain the rest.
    if (!req.complete && (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)) {
      res.setHeader('Connection', 'close');
    }
    if (apiError.code === 'UNAUTHORIZED') res.setHeader('WWW-Authenticate', 'Bearer');
    if (apiError.code === 'SERVICE_UNAVAILABLE') res.setHeader('Retry-After', '1');
    const body = {
      success: false,
      error: {
        code: apiError.code,
        // Messages may quote the request (a path, a parameter name): a key in it is not repeated.
        message: redactKeys(apiError.message),
        requestId: req.id,
        ...(apiError.details && apiError.details.length > 0
          ? { details: apiError.details.map((d) => ({ path: redactKeys(d.path), message: redactKeys(d.message) })) }
          : {}),
      },
    };
    // Sent as a string, past the response validator: an error status the contract forgot must still leave
    // in the envelope, never as express's HTML page. The contract conformance tests catch the omission.
    res.status(apiError.status).type('application/json').send(JSON.stringify(body));
  };
}
