import type { Request, RequestHandler } from 'express';
import { LOGIN_OPERATION } from '../domain/browser-sessions.js';
import { ACCEPT_INVITE_OPERATION } from '../domain/members.js';
import { ApiError } from '../errors.js';
import { operationOf } from './operation.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SAME_SITE_FETCH = new Set(['same-origin', 'none']);
/** Public operations that act on an account without a cookie: guarded as if one were sent (login CSRF). */
const GUARDED_WITHOUT_COOKIE = new Set([LOGIN_OPERATION, ACCEPT_INVITE_OPERATION]);

/**
 * Cross-site request forgery: a browser attaches the session cookie to requests other sites make it send.
 * A cookie-authenticated request with an unsafe method passes only when the browser says it came from
 * this origin (`Sec-Fetch-Site: same-origin`) or from the user (`none`: typed, bookmarked); a browser too
 * old to send that header must send an `Origin` equal to this server's own. `same-site` is refused too: a
 * sibling subdomain is another application. Sign-in gets the same rule without a cookie, so another site
 * cannot sign the browser in to an account of its choosing (login CSRF). API keys are never sent by a
 * browser on its own, so key requests are not affected. Runs right after auth, before the body is read.
 */
export function csrf(): RequestHandler {
  return (req, _res, next) => {
    if (!UNSAFE.has(req.method)) return next();
    const byCookie = req.caller?.via === 'session';
    if (!byCookie && !GUARDED_WITHOUT_COOKIE.has(operationOf(req).operationId)) return next();
    const refusal = crossSite(req);
    if (refusal) throw new ApiError('FORBIDDEN', `Cross-site request refused: ${refusal}`);
    next();
  };
}

/** Why the request may come from another site, or undefined when it comes from this one. */
function crossSite(req: Request): string | undefined {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return SAME_SITE_FETCH.has(site) ? undefined : `Sec-Fetch-Site is ${site}, not same-origin`;
  const origin = req.get('origin');
  const own = ownOrigin(req);
  if (origin === undefined) return 'a browser request without Sec-Fetch-Site must send Origin';
  return origin === own ? undefined : `Origin ${origin} is not this server's (${own})`;
}

/**
 * This server's origin as express sees the request: behind `trust proxy`, the proxy's public scheme and
 * host. The CSRF check compares against it, and links the server hands out (invites, share links, device
 * login) name it.
 */
export function ownOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host')}`;
}
