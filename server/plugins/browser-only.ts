import type { RequestHandler } from 'express';
import { ApiError } from '../errors.js';
import { operationOf } from './operation.js';

const STEP_UP = 'use the dashboard with step-up authentication';

/**
 * Operations and body fields the contract marks browser-only need a dashboard session with step-up.
 * Every caller here holds an API key, so they are refused before the body is validated.
 */
export function browserOnly(): RequestHandler {
  return (req, _res, next) => {
    const op = operationOf(req);
    if (!req.caller) return next();
    if (op.browserOnly) throw new ApiError('FORBIDDEN', `API keys cannot perform ${op.operationId}; ${STEP_UP}`);
    const body: unknown = req.body;
    if (op.browserOnlyFields.length > 0 && body !== null && typeof body === 'object') {
      const sent = op.browserOnlyFields.filter((f) => Object.hasOwn(body, f));
      if (sent.length > 0) throw new ApiError('FORBIDDEN', `API keys cannot change ${sent.join(', ')}; ${STEP_UP}`);
    }
    next();
  };
}
