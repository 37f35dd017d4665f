import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import type { Scope } from '../../generated/sdk/types.gen.js';
import type { ApiKeyStore } from '../data/api-keys.js';
import { hasScope } from '../data/caller.js';
import { ApiError } from '../errors.js';
import { operationOf } from './operation.js';
import { bucket, refuseWhenEmpty } from './rate-limit.js';

export interface AuthOptions {
  apiKeys: ApiKeyStore;
  /** Failed authentications allowed per client IP and minute; undefined turns the throttle off. */
  failuresPerMinute?: number;
  redis?: Redis;
}

/**
 * Every request reaching this plugin addresses an operation. One that needs a key gets a Caller (from the
 * key store) or a 401; a public one (no bearer requirement in the contract) runs without a caller, or with
 * one when it sent a key, which must then be valid. Scopes are checked here. A client address that keeps
 * failing is refused for the rest of the minute before its key is even looked up, so guessing keys costs
 * the guesser, not the database.
 */
export function auth(options: AuthOptions): RequestHandler {
  const { apiKeys } = options;
  const failures = options.failuresPerMinute
    ? bucket('alumia:auth-failures', { points: options.failuresPerMinute, redis: options.redis })
    : undefined;
  const refuse = failures
    ? refuseWhenEmpty(
        failures,
        (seconds) => new ApiError('TOO_MANY_REQUESTS', `Too many failed authentications from this address; retry in ${seconds} s`),
      )
    : undefined;

  return async (req, res, next) => {
    const op = operationOf(req);
    const header = req.headers.authorization;
    if (op.scopes === null && header === undefined) return next();
    if (refuse) await refuse.ifEmpty(req.ip ?? '', res);
    try {
      req.caller = await apiKeys.authenticate(header);
    } catch (err) {
      if (failures && err instanceof ApiError && err.code === 'UNAUTHORIZED' && header !== undefined) {
        await failures.penalty(req.ip ?? '', 1).catch(() => undefined);
      }
      throw err;
    }
    const missing = (op.scopes ?? []).filter((s) => !hasScope(req.caller!, s as Scope));
    if (missing.length > 0) throw new ApiError('FORBIDDEN', `This API key lacks the ${missing.join(', ')} scope`);
    next();
  };
}
