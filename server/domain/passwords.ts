import { createHash, randomBytes } from 'node:crypto';
import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { ApiError } from '../errors.js';
import { COMMON_PASSWORDS } from './common-passwords.js';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 128;

// OWASP's first Argon2id setting: 19 MiB, 2 passes, 1 lane. `Algorithm` is a const enum the library
// declares ambiently, which isolated modules cannot read: 2 is its Argon2id.
const ARGON2ID = 2 as Algorithm;
export const ARGON2_OPTIONS: Options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * A hash of a random password nobody knows, with the same parameters: verifying against it costs what a
 * real verify costs, so a login for an unknown email takes as long as one with a wrong password.
 */
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$mNXmH95ZLF5T5MyYiZyqbQ$YsVYSG6eiVN38J8iOlHJA+I1ifhHxLFnL6soeH3VFQI';

/**
 * The password as it is counted, hashed and compared: NFC, the normalization RFC 8265 (PRECIS
 * OpaqueString) applies to passwords. The same visible characters typed on another system or keyboard
 * (a precomposed "é" or "e" + combining accent) then give the same hash. NFKC would go further and merge
 * characters that only look alike (full-width letters, ligatures), which a user may have typed on purpose.
 */
export const normalizePassword = (raw: string) => raw.normalize('NFC');

/** Code points, not UTF-16 units: an emoji outside the BMP is one character, as the user sees it. */
const codePoints = (s: string) => [...s].length;

/**
 * The policy, and nothing more: 12 to 128 characters and not one of the common passwords (any case).
 * Returns the normalized password to hash; 422 VALIDATION_ERROR with a detail on `path` otherwise.
 */
export function checkPassword(raw: string, path = 'password'): string {
  const password = normalizePassword(raw);
  const length = codePoints(password);
  const refuse = (message: string) => new ApiError('VALIDATION_ERROR', `${path} ${message}`, [{ path, message }]);
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH)
    throw refuse(`must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters (it has ${length})`);
  if (COMMON_PASSWORDS.has(password.toLowerCase())) throw refuse('is one of the most common passwords: choose another');
  return password;
}

/** The Argon2id PHC string of an already checked password. */
export const hashPassword = (password: string) => hash(password, ARGON2_OPTIONS);

/**
 * Whether `raw` matches `stored`; with no stored hash, the dummy one is verified anyway, so both failures
 * cost the same. Nobody knows the dummy's password, and the answer is false then all the same: said
 * outright rather than left to that. A malformed stored hash counts as a mismatch, not a 500.
 */
export async function verifyPassword(stored: string | null, raw: string): Promise<boolean> {
  const matches = await verify(stored ?? DUMMY_HASH, normalizePassword(raw)).catch(() => false);
  return stored !== null && matches;
}

/** A one-time link token: 32 random bytes, base64url; only its SHA-256 (hex) is stored. */
export function generateLinkToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashLinkToken(token) };
}

export const hashLinkToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const PASSWORD_LINK_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The dashboard page that sets a password. The token goes in the fragment, which browsers never send:
 * it reaches no server log and no Referer, only the page's script, which posts it.
 */
export const passwordLinkUrl = (base: string, token: string) => `${base.replace(/\/+$/, '')}/dashboard/set-password#token=${token}`;
