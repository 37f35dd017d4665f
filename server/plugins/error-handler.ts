import type { ErrorRequestHandler } from 'express';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { ApiError, errorEnvelope } from '../errors.js';
import type { Logger } from '../logger.js';
import { fromBodyParser } from './body.js';
import { fromValidator, isValidatorError } from './validator-errors.js';

function toApiError(err: unknown, method: string, url: string, isProduction: boolean): ApiError {
  if (err instanceof ApiError) return err;
  if (isValidatorError(err)) return fromValidator(err, method, url);
  const bodyError = fromBodyParser(err);
  if (bodyError) return bodyError;
  if (isDatabaseUnavailable(err)) return new ApiError('SERVICE_UNAVAILABLE', 'The database is unavailable; retry later');
  const message = !isProduction && err instanceof Error ? err.message : 'Internal server error';
  return new ApiError('INTERNAL_ERROR', message);
}

/**
 * The one place errors become responses: each kind of failure is classified beside its concern (the
 * validator, the body parser, the database), then the status from the code table, the envelope, one log
 * line for a 5xx.
 */
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
    if (apiError.code === 'SERVICE_UNAVAILABLE') res.setHeader('Retry-After', String(apiError.retryAfterSeconds ?? 1));
    // Sent as a string, past the response validator: an error status the contract forgot must still leave
    // in the envelope, never as express's HTML page. The contract conformance tests catch the omission.
    res.status(apiError.status).type('application/json').send(errorEnvelope(apiError, req.id));
  };
}
