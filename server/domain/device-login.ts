import { createHash, randomBytes, randomInt } from 'node:crypto';

/**
 * Device login (RFC 8628) rules, without the database: the codes, how a typed user code is read, and what
 * a poll answers. Only SHA-256 hashes of both codes are ever stored.
 */

/** RFC 8628 §6.1: consonants only, so no word can be spelled and nothing looks like a digit. */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;
export const DEVICE_CODE_TTL_MS = 15 * 60_000;
export const POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: every slow_down adds 5 s to the interval. */
export const SLOW_DOWN_STEP_SECONDS = 5;
export const VERIFICATION_PATH = '/dashboard/device';

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export const generateDeviceCode = () => randomBytes(32).toString('base64url');

/** Eight characters of the alphabet, shown as XXXX-XXXX. */
export function generateUserCode(pick: (n: number) => number = randomInt): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[pick(USER_CODE_ALPHABET.length)];
  return formatUserCode(code);
}

export const formatUserCode = (normalized: string) => `${normalized.slice(0, 4)}-${normalized.slice(4)}`;

/** A typed code in canonical form (upper case, no dash or spaces), or undefined when it cannot be one. */
export function normalizeUserCode(typed: string): string | undefined {
  const code = typed.replace(/[\s-]/g, '').toUpperCase();
  if (code.length !== USER_CODE_LENGTH) return undefined;
  for (const c of code) if (!USER_CODE_ALPHABET.includes(c)) return undefined;
  return code;
}

export type DeviceStatus = 'pending' | 'approved' | 'denied' | 'spent';

export interface PollState {
  status: DeviceStatus;
  expiresAt: Date;
  lastPolledAt: Date | null;
  intervalSec: number;
}

/** RFC 8628 §3.5 error codes a poll can answer with. */
export type PollError = 'authorization_pending' | 'slow_down' | 'access_denied' | 'expired_token';

export type PollOutcome = { kind: 'mint' } | { kind: 'error'; error: PollError; intervalSec: number };

/**
 * What a poll at `now` answers, and the interval to keep. Spent and expired codes are one answer, so a
 * replayed device code learns nothing. Polling a pending code sooner than its interval slows it down.
 */
export function pollOutcome(state: PollState, now: Date): PollOutcome {
  const keep = (error: PollError, intervalSec = state.intervalSec): PollOutcome => ({ kind: 'error', error, intervalSec });
  if (state.status === 'spent' || state.expiresAt.getTime() <= now.getTime()) return keep('expired_token');
  if (state.status === 'denied') return keep('access_denied');
  if (state.status === 'approved') return { kind: 'mint' };
  const early = state.lastPolledAt !== null && now.getTime() - state.lastPolledAt.getTime() < state.intervalSec * 1000;
  return early ? keep('slow_down', state.intervalSec + SLOW_DOWN_STEP_SECONDS) : keep('authorization_pending');
}

/** The minted key's name says where it came from. */
export const deviceKeyName = (clientName: string | null) => `Device login: ${clientName ?? 'unnamed client'}`;

/** The page the person opens, with and without the code. */
export function verificationUris(origin: string, userCode: string): { verificationUri: string; verificationUriComplete: string } {
  const verificationUri = `${origin}${VERIFICATION_PATH}`;
  return { verificationUri, verificationUriComplete: `${verificationUri}?code=${encodeURIComponent(userCode)}` };
}
