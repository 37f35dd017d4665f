import type { Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import type { Scope } from '../../generated/sdk/types.gen.js';
import type { ApiKeyStore } from '../data/api-keys.js';
import type { BrowserSessionStore } from '../data/browser-sessions.js';
import { hasScope, type Caller } from '../data/caller.js';
import { SESSION_TOKEN_PATTERN } from '../domain/browser-sessions.js';
import { ApiError } from '../errors.js';
import { operationOf } from './operation.js';
import { bucket, refuseWhenEmpty } from './rate-limit.js';
import { clearSessionCookie, readSessionCookie } from './session-cookie.js';

export interface AuthOptions {
  apiKeys: ApiKeyStore;
  sessions: BrowserSessionStore;
  /** Failed authentications allowed per client IP and minute; undefined turns the throttle off. */
  failuresPerMinute?: number;
  redis?: Redis;
}

/**
 * Every request reaching this plugin addresses an operation. One that needs a caller gets one or a 401:
 * from the `Authorization` header when there is one (the cookie is then not read, even if the key is
 * wrong), else from the `alumia_session` cookie. A public operation (no security requirement in the
 * contract) runs without a caller, or with one when it sent a key, which must then be valid; a cookie is
 * not read there, so a stale one cannot break sign-in. Scopes are checked here. A client address that
 * keeps failing (bad keys and bad cookies alike) is refused for the rest of the minute before anything is
 * looked up, so guessing costs the guesser, not the database.
 */
export function auth(options: AuthOptions): RequestHandler {
  const { apiKeys, sessions } = options;
  const failures = options.failuresPerMinute
    ? bucket('alumia:auth-failures', { points: options.failuresPerMinute, redis: options.redis })
    : undefined;
  const refuse = failures
    ? refuseWhenEmpty(
        failures,
        (seconds) => new ApiError('TOO_MANY_REQUESTS', `Too many failed authentications from this address; retry in ${seconds} s`),
      )
    : undefined;
  const counted = async <T>(req: Request, attempt: () => Promise<T>): Promise<T> => {
    try {
      return await attempt();
    } catch (err) {
      if (failures && err instanceof ApiError && err.code === 'UNAUTHORIZED')
        await failures.penalty(req.ip ?? '', 1).catch(() => undefined);
      throw err;
    }
  };

  const fromCookie = async (req: Request, res: Response, token: string): Promise<Caller> => {
    try {
      return await counted(req, async () => {
        if (!SESSION_TOKEN_PATTERN.test(token)) throw new ApiError('UNAUTHORIZED', 'Malformed session cookie; sign in again');
        return sessions.authenticate(token);
      });
    } catch (err) {
      // A cookie that no longer works is dropped, so the browser stops sending it.
      if (err instanceof ApiError && err.code === 'UNAUTHORIZED') clearSessionCookie(res, sessions.secureCookies);
      throw err;
    }
  };

  return async (req, res, next) => {
    const op = operationOf(req);
    const header = req.headers.authorization;
    if (op.scopes === null && header === undefined) return next();
    const token = header === undefined ? readSessionCookie(req) : undefined;
    if (refuse) await refuse.ifEmpty(req.ip ?? '', res);
    if (header !== undefined) {
      req.caller = await counted(req, () => apiKeys.authenticate(header));
      if (!op.keys) throw new ApiError('FORBIDDEN', `API keys cannot perform ${op.operationId}: it is for dashboard sessions`);
    } else if (token !== undefined && op.cookie) {
      req.caller = await fromCookie(req, res, token);
      // Stored answers are scoped to (and sealed with) an API key; a session has none to use.
      if (req.headers['idempotency-key'] !== undefined && req.method === 'POST') {
        throw new ApiError('BAD_REQUEST', 'Idempotency-Key is supported with API keys only, not with a dashboard session', [
          { path: 'header.idempotency-key', message: 'not supported with a dashboard session' },
        ]);
      }
    } else if (!op.keys) {
      throw new ApiError('UNAUTHORIZED', 'Not signed in: this operation needs the alumia_session cookie (POST /auth/login)');
    } else {
      // No credentials at all: the key store words the 401 as it always has.
      req.caller = await apiKeys.authenticate(undefined);
    }
    const missing = (op.scopes ?? []).filter((s) => !hasScope(req.caller!, s as Scope));
    if (missing.length > 0) throw new ApiError('FORBIDDEN', `This API key lacks the ${missing.join(', ')} scope`);
    next();
  };
}
