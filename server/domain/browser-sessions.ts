import { createHash, randomBytes } from 'node:crypto';

/**
 * Dashboard session rules, as plain functions: the cookie's name and token format, and when a session
 * still works. Only the SHA-256 of a token is ever stored.
 */
export const SESSION_COOKIE = 'alumia_session';

/** Sign-in's operationId: the CSRF rule guards it even without a cookie (login CSRF). */
export const LOGIN_OPERATION = 'login';

/** 32 random bytes, base64url: 43 characters. */
export const SESSION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const generateSessionToken = (): string => randomBytes(32).toString('base64url');

export const hashSessionToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** lastSeenAt moves at most this often, so a busy session is not a write per request. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

export const USER_AGENT_MAX = 255;

export interface SessionTimes {
  lastSeenAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

/**
 * Why a session no longer works, or undefined when it does. Idle time counts from `lastSeenAt`, which lags
 * real activity by up to LAST_SEEN_RESOLUTION_MS: a session may end that much before the idle limit.
 */
export function sessionEnded(s: SessionTimes, idleMs: number, now: number): string | undefined {
  if (s.revokedAt) return 'This session has been signed out';
  if (s.expiresAt.getTime() <= now) return 'This session has expired; sign in again';
  if (s.lastSeenAt.getTime() + idleMs <= now) return 'This session ended after inactivity; sign in again';
  return undefined;
}

/** The end of the step-up window opened at `stepUpAt`, or null when there was none. */
export const stepUpUntil = (stepUpAt: Date | null, stepUpMs: number): Date | null =>
  stepUpAt ? new Date(stepUpAt.getTime() + stepUpMs) : null;
