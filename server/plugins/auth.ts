import type { RequestHandler } from 'express';
import type { Scope } from '../../generated/sdk/types.gen.js';
import { KEY_PATTERN, hashKey, type ApiKeyStore } from '../data/api-keys.js';
import { hasScope } from '../data/caller.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';

const unauthorized = (message: string) => new ApiError('UNAUTHORIZED', message);

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export const bearerToken = (header: string | undefined) => (header ? /^Bearer +(\S+) *$/i.exec(header)?.[1] : undefined);

/**
 * Resolves `Authorization: Bearer alm_<env>_<hex>` to a Caller for every operation that needs a key, and
 * checks the scopes the contract lists for it. Malformed keys are refused before any database work.
 */
export function auth(options: { apiKeys: ApiKeyStore; keyEnv: 'live' | 'test'; logger: Logger }): RequestHandler {
  const { apiKeys, keyEnv, logger } = options;
  return async (req, _res, next) => {
    const scopes = req.operation?.scopes;
    if (!scopes) return next();
    const header = req.headers.authorization;
    if (!header) throw unauthorized('Missing API key: send Authorization: Bearer alm_<env>_<key>');
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
    const caller = {
      keyId: identity.keyId,
      keyPrefix: identity.keyPrefix,
      orgId: identity.orgId,
      userId: identity.userId,
      role: identity.role,
      scopes: identity.scopes,
      keyEnv: identity.env,
      currentWorkspaceId: identity.currentWorkspaceId,
    };
    const missing = scopes.filter((s) => !hasScope(caller, s as Scope));
    if (missing.length > 0) throw new ApiError('FORBIDDEN', `This API key lacks the ${missing.join(', ')} scope`);
    req.caller = caller;
    next();
  };
}
