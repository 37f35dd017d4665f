import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import type { Scope } from '../../generated/sdk/types.gen.js';
import { KEY_PATTERN, hashKey, type ApiKeyStore } from '../data/api-keys.js';
import { hasScope, type Caller } from '../data/caller.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { bucket, refuseWhenEmpty } from './rate-limit.js';

const unauthorized = (message: string) => new ApiError('UNAUTHORIZED', message);

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export const bearerToken = (header: string | undefined) => (header ? /^Bearer +(\S+) *$/i.exec(header)?.[1] : undefined);

export interface AuthOptions {
  apiKeys: ApiKeyStore;
  keyEnv: 'live' | 'test';
  logger: Logger;
  /** Failed authentications allowed per client IP and minute; undefined turns the throttle off. */
  failuresPerMinute?: number;
  redis?: Redis;
}

/**
 * Every request reaching this plugin addresses an operation. One that needs a key gets a Caller or a 401;
 * a public one (no bearer requirement in the contract) runs without a caller, or with one when it sent a
 * key, which must then be valid. Scopes are checked here too. Malformed keys are refused before any
 * database work, and a client IP that keeps failing is refused for the rest of the minute before its key
 * is even looked up, so guessing keys costs the guesser, not the database.
 */
export function auth(options: AuthOptions): RequestHandler {
  const { apiKeys, keyEnv, logger } = options;
  const failures = options.failuresPerMinute ? bucket('alumia:auth-failures', { pointsPerMinute: options.failuresPerMinute, redis: options.redis }) : undefined;
  const refuse = failures
    ? refuseWhenEmpty(failures, (seconds) => new ApiError('TOO_MANY_REQUESTS', `Too many failed authentications from this address; retry in ${seconds} s`))
    : undefined;

  const authenticate = async (header: string): Promise<Caller> => {
    const key = bearerToken(header);
    if (!key || !KEY_PATTERN.test(key)) throw unauthorized('Malformed API key: expected alm_<env>_ and 48 hex characters');
    if (!key.startsWith(`alm_${keyEnv}_`)) {
      throw unauthorized(`This server accepts only ${keyEnv} keys; this key was minted for another environment`);
    }
    const identity = await apiKeys.identify(hashKey(key));
    if (!identity) throw unauthorized('Invalid API key');
    if (identity.revokedAt) throw unauthorized('This API key has been revoked');
    if (identity.expiresAt && identity.expiresAt.getTime() <= Date.now()) throw unauthorized('This API key has expired');
    apiKeys.touch(identity).catch((err) => logger.warn({ err, keyId: identity.keyId }, 'could not record key use'));
    return {
      keyId: identity.keyId,
      keyPrefix: identity.keyPrefix,
      orgId: identity.orgId,
      userId: identity.userId,
      role: identity.role,
      scopes: identity.scopes,
      keyEnv: identity.env,
      currentWorkspaceId: identity.currentWorkspaceId,
    };
  };

  return async (req, res, next) => {
    const op = req.operation;
    // The operation plugin refuses what it cannot place; reaching here without an operation is a bug.
    if (!op) throw new ApiError('NOT_FOUND', 'No route');
    const header = req.headers.authorization;
    if (op.scopes === null && header === undefined) return next();
    if (refuse) await refuse.ifEmpty(req.ip ?? '', res);
    try {
      if (header === undefined) throw unauthorized('Missing API key: send Authorization: Bearer alm_<env>_<key>');
      req.caller = await authenticate(header);
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
