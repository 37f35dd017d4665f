import type { RequestHandler } from 'express';
import type { Caller } from '../data/caller.js';
import { ApiError } from '../errors.js';
import { operationOf } from './operation.js';

const USE_DASHBOARD = 'use the dashboard with step-up authentication';
/** Stable wording: the dashboard looks for it to ask for the password and retry. */
export const STEP_UP_REQUIRED = 'step-up required';

/**
 * Operations and body fields the contract marks browser-only need a dashboard session whose password was
 * checked recently (login or POST /auth/step-up). An API key is always refused; a session outside its
 * step-up window is refused with `step-up required` and a `stepUp` detail. Both before the body is
 * validated.
 */
export function browserOnly(): RequestHandler {
  return (req, _res, next) => {
    const op = operationOf(req);
    const caller = req.caller;
    if (!caller) return next();
    const body: unknown = req.body;
    const sent =
      op.browserOnlyFields.length > 0 && body !== null && typeof body === 'object'
        ? op.browserOnlyFields.filter((f) => Object.hasOwn(body, f))
        : [];
    if (!op.browserOnly && sent.length === 0) return next();
    const what = op.browserOnly ? `perform ${op.operationId}` : `change ${sent.join(', ')}`;
    if (caller.via === 'key') throw new ApiError('FORBIDDEN', `API keys cannot ${what}; ${USE_DASHBOARD}`);
    if (!steppedUp(caller)) {
      throw new ApiError('FORBIDDEN', `To ${what}, ${STEP_UP_REQUIRED}: confirm your password with POST /auth/step-up and retry`, [
        { path: 'stepUp', message: 'the password was not confirmed recently enough' },
      ]);
    }
    next();
  };
}

const steppedUp = (caller: Caller, now = Date.now()) => caller.stepUpUntil !== null && caller.stepUpUntil.getTime() > now;
