import { randomBytes } from 'node:crypto';
import { parseSetCookie, type SetCookie } from 'cookie';
import type supertest from 'supertest';
import { expect } from 'vitest';
import { PasswordStore } from '../../server/data/passwords.js';
import { hashSessionToken } from '../../server/domain/browser-sessions.js';
import type { HttpResult } from './envelope.js';
import type { Harness, Tenant } from './harness.js';

/** Dashboard sign-in for tests: passwords set through the password store, cookies read off Set-Cookie. */

export const COOKIE = 'alumia_session';
/** What a browser sends on a request of the dashboard's own page. */
export const SAME_ORIGIN = { 'Sec-Fetch-Site': 'same-origin' };

/** A password no policy refuses, set for the tenant's user; returns it. */
export async function givePassword(h: Harness, t: Pick<Tenant, 'userId'>): Promise<string> {
  const password = `pw-${randomBytes(12).toString('hex')}`;
  await new PasswordStore(h.db.prisma).setPassword(t.userId, password);
  return password;
}

/** Every Set-Cookie of the answer, parsed. */
export function setCookies(res: HttpResult): SetCookie[] {
  const raw = res.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((c) => parseSetCookie(c));
}

/** The one `alumia_session` Set-Cookie of the answer. */
export function sessionCookie(res: HttpResult): SetCookie {
  const found = setCookies(res).filter((c) => c.name === COOKIE);
  expect(found, JSON.stringify(res.headers['set-cookie'])).toHaveLength(1);
  return found[0]!;
}

export interface SignedIn {
  token: string;
  /** `{ Cookie, Sec-Fetch-Site: same-origin }` for supertest's `.set()`. */
  headers: Record<string, string>;
  res: HttpResult;
}

export const cookieHeaders = (token: string) => ({ Cookie: `${COOKIE}=${token}`, ...SAME_ORIGIN });

/** Signs in through the API (as the dashboard's page would) and expects success. */
export async function signIn(
  http: ReturnType<typeof supertest>,
  email: string,
  password: string,
  extra: { org?: string; headers?: Record<string, string> } = {},
): Promise<SignedIn> {
  const body = { email, password, ...(extra.org ? { org: extra.org } : {}) };
  const res = await http
    .post('/api/v1/auth/login')
    .set({ ...SAME_ORIGIN, ...extra.headers })
    .send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const token = sessionCookie(res).value ?? '';
  expect(token).not.toBe('');
  return { token, headers: cookieHeaders(token), res };
}

/** The session row behind a cookie value. */
export const sessionRow = (h: Harness, token: string) =>
  h.db.prisma.browserSession.findUnique({ where: { tokenHash: hashSessionToken(token) } });

/** Moves a session's timestamps back by `ms` (idle, absolute end, step-up), as if time had passed. */
export async function ageSession(h: Harness, token: string, field: 'lastSeenAt' | 'expiresAt' | 'stepUpAt', ms: number): Promise<void> {
  const row = await sessionRow(h, token);
  if (!row) throw new Error('no session row for this cookie');
  const at = row[field] ?? new Date();
  await h.db.prisma.browserSession.update({ where: { id: row.id }, data: { [field]: new Date(at.getTime() - ms) } });
}
