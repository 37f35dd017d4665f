import { describe, expect, it } from 'vitest';
import {
  LAST_SEEN_RESOLUTION_MS,
  LOGIN_OPERATION,
  SESSION_COOKIE,
  SESSION_TOKEN_PATTERN,
  USER_AGENT_MAX,
  generateSessionToken,
  hashSessionToken,
  sessionEnded,
  stepUpUntil,
} from '../../server/domain/browser-sessions.js';

const TOKEN = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_x';

describe('the names and limits', () => {
  it('are the documented ones', () => {
    expect({ SESSION_COOKIE, LOGIN_OPERATION, LAST_SEEN_RESOLUTION_MS, USER_AGENT_MAX }).toEqual({
      SESSION_COOKIE: 'alumia_session',
      LOGIN_OPERATION: 'login',
      LAST_SEEN_RESOLUTION_MS: 60_000,
      USER_AGENT_MAX: 255,
    });
  });
});

describe('SESSION_TOKEN_PATTERN', () => {
  it('matches 43 characters of the base64url alphabet', () => {
    expect(TOKEN).toHaveLength(43);
    for (const token of [TOKEN, 'A'.repeat(43), 'z'.repeat(43), '0'.repeat(43), '9'.repeat(43), '-'.repeat(43), '_'.repeat(43)]) {
      expect(SESSION_TOKEN_PATTERN.test(token), token).toBe(true);
    }
  });

  it('refuses another length, another alphabet or surrounding text', () => {
    for (const bad of [
      '',
      TOKEN.slice(1),
      `${TOKEN}a`,
      `${TOKEN.slice(1)}+`,
      `${TOKEN.slice(1)}/`,
      `${TOKEN.slice(1)}=`,
      `${TOKEN.slice(1)}.`,
      `${TOKEN.slice(1)} `,
      ` ${TOKEN.slice(1)}`,
      `${TOKEN.slice(1)}é`,
      `x.${TOKEN}`,
      `${TOKEN}.x`,
    ]) {
      expect(SESSION_TOKEN_PATTERN.test(bad), bad).toBe(false);
    }
  });
});

describe('generateSessionToken', () => {
  it('mints 32 random bytes as base64url, never the same twice', () => {
    const tokens = Array.from({ length: 50 }, () => generateSessionToken());
    for (const token of tokens) {
      expect(token).toMatch(SESSION_TOKEN_PATTERN);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
    expect(new Set(tokens).size).toBe(50);
  });
});

describe('hashSessionToken', () => {
  it('is the SHA-256 of the token as lower-case hex', () => {
    expect(hashSessionToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashSessionToken(TOKEN)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSessionToken(TOKEN)).not.toBe(hashSessionToken(TOKEN.toLowerCase()));
  });
});

describe('sessionEnded', () => {
  const NOW = Date.UTC(2026, 11, 1, 12);
  const IDLE = 30 * 60_000;
  const at = (ms: number) => new Date(NOW + ms);
  const live = { lastSeenAt: at(-1000), expiresAt: at(3_600_000), revokedAt: null };

  it('lets a session work until it expires or has been idle for the limit, both up to the millisecond before', () => {
    expect(sessionEnded(live, IDLE, NOW)).toBeUndefined();
    expect(sessionEnded({ ...live, expiresAt: at(1) }, IDLE, NOW)).toBeUndefined();
    expect(sessionEnded({ ...live, lastSeenAt: at(1 - IDLE) }, IDLE, NOW)).toBeUndefined();
    // Seen "in the future" (clock skew between servers) is still a live session.
    expect(sessionEnded({ ...live, lastSeenAt: at(5000) }, IDLE, NOW)).toBeUndefined();
  });

  it('ends it once signed out, whenever that was', () => {
    expect(sessionEnded({ ...live, revokedAt: at(-1) }, IDLE, NOW)).toBe('This session has been signed out');
    expect(sessionEnded({ ...live, revokedAt: at(60_000) }, IDLE, NOW)).toBe('This session has been signed out');
  });

  it('ends it at its expiry time', () => {
    for (const ms of [0, -1, -86_400_000]) {
      expect(sessionEnded({ ...live, expiresAt: at(ms) }, IDLE, NOW), `${ms}`).toBe('This session has expired; sign in again');
    }
  });

  it('ends it when the idle limit has passed since it was last seen', () => {
    for (const ms of [-IDLE, -IDLE - 1, -10 * IDLE]) {
      expect(sessionEnded({ ...live, lastSeenAt: at(ms) }, IDLE, NOW), `${ms}`).toBe('This session ended after inactivity; sign in again');
    }
    expect(sessionEnded({ ...live, lastSeenAt: at(-1000) }, 1000, NOW)).toBe('This session ended after inactivity; sign in again');
    expect(sessionEnded({ ...live, lastSeenAt: at(-1000) }, 1001, NOW)).toBeUndefined();
  });

  it('gives one reason, in this order: signed out, expired, idle', () => {
    const all = { lastSeenAt: at(-10 * IDLE), expiresAt: at(-1), revokedAt: at(-1) };
    expect(sessionEnded(all, IDLE, NOW)).toBe('This session has been signed out');
    expect(sessionEnded({ ...all, revokedAt: null }, IDLE, NOW)).toBe('This session has expired; sign in again');
  });
});

describe('stepUpUntil', () => {
  it('is the step-up time plus the window, or null without a step-up', () => {
    const stepUpAt = new Date('2026-12-01T12:00:00.000Z');
    expect(stepUpUntil(stepUpAt, 5 * 60_000)).toEqual(new Date('2026-12-01T12:05:00.000Z'));
    expect(stepUpUntil(stepUpAt, 0)).toEqual(stepUpAt);
    expect(stepUpUntil(null, 5 * 60_000)).toBeNull();
  });
});
