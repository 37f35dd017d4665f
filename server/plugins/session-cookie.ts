import { parseCookie, stringifySetCookie } from 'cookie';
import type { Request, Response } from 'express';
import { SESSION_COOKIE } from '../domain/browser-sessions.js';

/**
 * The `alumia_session` cookie on the wire: HttpOnly (no script reads it), SameSite=Lax (not sent on other
 * sites' subrequests or POSTs), Path=/ (the dashboard and the API share it), Secure on a production server.
 */

/** The cookie's value, or undefined when the request has none (an empty value counts as none). */
export function readSessionCookie(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  return parseCookie(header)[SESSION_COOKIE] || undefined;
}

const attributes = (secure: boolean) => ({ httpOnly: true, sameSite: 'lax' as const, path: '/', secure });

/** Sets the cookie, expiring when the session's absolute lifetime does. */
export function setSessionCookie(res: Response, token: string, expires: Date, secure: boolean): void {
  res.append('Set-Cookie', stringifySetCookie(SESSION_COOKIE, token, { ...attributes(secure), expires }));
}

/** Tells the browser to drop the cookie. */
export function clearSessionCookie(res: Response, secure: boolean): void {
  res.append('Set-Cookie', stringifySetCookie(SESSION_COOKIE, '', { ...attributes(secure), expires: new Date(0) }));
}
