import { describe, expect, it } from 'vitest';
import {
  USER_CODE_ALPHABET,
  deviceKeyName,
  formatUserCode,
  generateDeviceCode,
  generateUserCode,
  normalizeUserCode,
  pollOutcome,
  sha256,
  verificationUris,
  type PollState,
} from '../../server/domain/device-login.js';

const now = new Date('2026-12-01T09:00:00.000Z');
const state = (over: Partial<PollState> = {}): PollState => ({
  status: 'pending',
  expiresAt: new Date(now.getTime() + 60_000),
  lastPolledAt: null,
  intervalSec: 5,
  ...over,
});

describe('codes', () => {
  it('device codes are 32 random bytes in base64url, never repeated', () => {
    const a = generateDeviceCode();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(generateDeviceCode()).not.toBe(a);
  });

  it('user codes are 8 letters of the RFC 8628 alphabet shown XXXX-XXXX', () => {
    expect(USER_CODE_ALPHABET).toBe('BCDFGHJKLMNPQRSTVWXZ');
    expect(generateUserCode()).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    let i = 0;
    expect(generateUserCode(() => i++)).toBe('BCDF-GHJK');
    expect(generateUserCode((n) => n - 1)).toBe('ZZZZ-ZZZZ');
    expect(formatUserCode('WDJBMJHT')).toBe('WDJB-MJHT');
  });

  it('typed codes match case-insensitively, with or without the dash or spaces', () => {
    expect(normalizeUserCode('wdjb-mjht')).toBe('WDJBMJHT');
    expect(normalizeUserCode('WDJBMJHT')).toBe('WDJBMJHT');
    expect(normalizeUserCode(' wdjb mjht ')).toBe('WDJBMJHT');
    expect(normalizeUserCode('WDJB-MJH')).toBeUndefined();
    expect(normalizeUserCode('WDJB-MJHTT')).toBeUndefined();
    expect(normalizeUserCode('AAAA-AAAA')).toBeUndefined();
    expect(normalizeUserCode('WDJB-MJH1')).toBeUndefined();
  });

  it('hashes with SHA-256 in hex', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('names keys and builds the verification URIs', () => {
    expect(deviceKeyName('alumia CLI')).toBe('Device login: alumia CLI');
    expect(deviceKeyName(null)).toBe('Device login: unnamed client');
    expect(verificationUris('https://a.example', 'WDJB-MJHT')).toEqual({
      verificationUri: 'https://a.example/dashboard/device',
      verificationUriComplete: 'https://a.example/dashboard/device?code=WDJB-MJHT',
    });
  });
});

describe('pollOutcome', () => {
  const err = (error: string, intervalSec = 5) => ({ kind: 'error', error, intervalSec });
  it('pending: authorization_pending on the first poll and after the interval', () => {
    expect(pollOutcome(state(), now)).toEqual(err('authorization_pending'));
    expect(pollOutcome(state({ lastPolledAt: new Date(now.getTime() - 5_000) }), now)).toEqual(err('authorization_pending'));
  });

  it('pending and early: slow_down, the interval 5 s longer', () => {
    expect(pollOutcome(state({ lastPolledAt: new Date(now.getTime() - 4_999) }), now)).toEqual(err('slow_down', 10));
    expect(pollOutcome(state({ lastPolledAt: new Date(now.getTime() - 9_000), intervalSec: 10 }), now)).toEqual(err('slow_down', 15));
  });

  it('expired (at the instant too) and spent: expired_token', () => {
    expect(pollOutcome(state({ expiresAt: now }), now)).toEqual(err('expired_token'));
    expect(pollOutcome(state({ expiresAt: new Date(now.getTime() + 1), status: 'spent' }), now)).toEqual(err('expired_token'));
    expect(pollOutcome(state({ expiresAt: now, status: 'approved' }), now)).toEqual(err('expired_token'));
  });

  it('denied: access_denied; approved: mint, even when polled early', () => {
    expect(pollOutcome(state({ status: 'denied' }), now)).toEqual(err('access_denied'));
    expect(pollOutcome(state({ status: 'approved', lastPolledAt: now }), now)).toEqual({ kind: 'mint' });
  });
});
