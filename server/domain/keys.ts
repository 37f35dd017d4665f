import { createHash, randomBytes } from 'node:crypto';

/**
 * The API key format, in one place: `alm_<env>_` and 24 random bytes as 48 hex characters. Only the
 * SHA-256 hash and the first 12 characters are ever stored.
 */
export type KeyEnv = 'live' | 'test';

export const KEY_PATTERN = /^alm_(live|test)_[0-9a-f]{48}$/;
const PREFIX_LENGTH = 12;

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export function generateKey(env: KeyEnv): { key: string; prefix: string; hash: string } {
  const key = `alm_${env}_${randomBytes(24).toString('hex')}`;
  return { key, prefix: key.slice(0, PREFIX_LENGTH), hash: hashKey(key) };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export const bearerToken = (header: string | undefined) => (header ? /^Bearer +(\S+) *$/i.exec(header)?.[1] : undefined);
