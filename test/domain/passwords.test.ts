import * as argon2 from '@node-rs/argon2';
import { describe, expect, it, vi } from 'vitest';
import { COMMON_PASSWORDS } from '../../server/domain/common-passwords.js';
import {
  ARGON2_OPTIONS,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  PASSWORD_LINK_TTL_MS,
  checkPassword,
  generateLinkToken,
  hashLinkToken,
  hashPassword,
  normalizePassword,
  passwordLinkUrl,
  verifyPassword,
} from '../../server/domain/passwords.js';
import { asData, thrown } from './thrown.js';

// The real verify, watched: which hash a failed login is checked against is the timing rule.
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof import('@node-rs/argon2')>();
  return { ...real, verify: vi.fn(real.verify) };
});

/** The PHC prefix of an Argon2id hash with the server's parameters. */
const PHC_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';
const E_ACUTE = 'e\u0301';

const refusal = (path: string, message: string) => ({
  status: 422,
  code: 'VALIDATION_ERROR',
  message: `${path} ${message}`,
  details: [{ path, message }],
});
const lengthRule = (n: number) => `must be 12 to 128 characters (it has ${n})`;

describe('the limits', () => {
  it('are 12 to 128 characters, Argon2id at 19 MiB, 2 passes, 1 lane, and a day for a link', () => {
    expect([MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH]).toEqual([12, 128]);
    expect(ARGON2_OPTIONS).toEqual({ algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    expect(PASSWORD_LINK_TTL_MS).toBe(86_400_000);
  });
});

describe('normalizePassword', () => {
  it('is NFC: composed and decomposed accents are one password, compatibility forms stay apart', () => {
    expect(normalizePassword(`caf${E_ACUTE}`)).toBe('café');
    expect(normalizePassword('café')).toBe('café');
    expect(normalizePassword('ﬁｆ')).toBe('ﬁｆ');
  });
});

describe('checkPassword', () => {
  it('returns the normalized password of 12 to 128 code points', () => {
    expect(checkPassword('correct horse')).toBe('correct horse');
    expect(checkPassword('a'.repeat(12))).toBe('a'.repeat(12));
    expect(checkPassword('a'.repeat(128))).toBe('a'.repeat(128));
    // 128 emoji are 256 UTF-16 units, still 128 characters.
    expect(checkPassword('😀'.repeat(128))).toBe('😀'.repeat(128));
    // Counted after NFC: 12 decomposed accents are 24 code points but 12 characters.
    expect(checkPassword(E_ACUTE.repeat(12))).toBe('é'.repeat(12));
    // Spaces are characters like any other, kept as typed.
    expect(checkPassword('  spaced out  ')).toBe('  spaced out  ');
  });

  it('refuses fewer than 12 or more than 128 characters, saying how many it has', () => {
    for (const [raw, n] of [
      ['', 0],
      ['a'.repeat(11), 11],
      ['a'.repeat(129), 129],
      ['😀'.repeat(129), 129],
      [E_ACUTE.repeat(11), 11],
    ] as const) {
      expect(asData(thrown(() => checkPassword(raw))), `${n}`).toEqual(refusal('password', lengthRule(n)));
    }
  });

  it('names the field it is given', () => {
    expect(asData(thrown(() => checkPassword('short', 'body.newPassword')))).toEqual(refusal('body.newPassword', lengthRule(5)));
  });

  it('refuses a common password in any case', () => {
    for (const raw of ['password1234', 'Password1234', 'PASSWORDPASSWORD', '123qweasdzxc', '193570356033', 'QwErTy123456']) {
      expect(asData(thrown(() => checkPassword(raw))), raw).toEqual(
        refusal('password', 'is one of the most common passwords: choose another'),
      );
    }
    expect(asData(thrown(() => checkPassword('Password1234', 'body.password')))).toEqual(
      refusal('body.password', 'is one of the most common passwords: choose another'),
    );
    expect(checkPassword('password12345')).toBe('password12345');
  });
});

describe('COMMON_PASSWORDS', () => {
  it('holds the list from its first entry to its last, and no empty word', () => {
    expect(COMMON_PASSWORDS.has('123qweasdzxc')).toBe(true);
    expect(COMMON_PASSWORDS.has('qwerty123456')).toBe(true);
    expect(COMMON_PASSWORDS.has('193570356033')).toBe(true);
    expect(COMMON_PASSWORDS.has('')).toBe(false);
  });

  it('holds only lower-case NFC words of 12 code points or more, the ones the length rule lets through', () => {
    expect(COMMON_PASSWORDS.size).toBeGreaterThanOrEqual(300);
    for (const word of COMMON_PASSWORDS) {
      expect([...word].length, word).toBeGreaterThanOrEqual(12);
      expect(word, word).toBe(word.toLowerCase().normalize('NFC'));
      expect(word, word).not.toMatch(/\s/);
    }
  });
});

describe('hashPassword and verifyPassword', () => {
  it('hash with Argon2id at the server parameters, salted, and verify the same password only', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored.startsWith(PHC_PREFIX)).toBe(true);
    expect(await hashPassword('correct horse battery')).not.toBe(stored);
    expect(await verifyPassword(stored, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse batterY')).toBe(false);
    expect(await verifyPassword(stored, '')).toBe(false);
  });

  it('verify a password typed with decomposed accents against one stored composed', async () => {
    const stored = await hashPassword(checkPassword(`caf${E_ACUTE} au lait!`));
    expect(await verifyPassword(stored, `caf${E_ACUTE} au lait!`)).toBe(true);
    expect(await verifyPassword(stored, 'café au lait!')).toBe(true);
  });

  it('answer false, not an error, for a malformed stored hash', async () => {
    for (const stored of ['', 'not a hash', '$argon2id$v=19$m=19456,t=2,p=1$broken']) {
      await expect(verifyPassword(stored, 'correct horse battery'), stored).resolves.toBe(false);
    }
  });

  it('with no stored hash, still verify against a real hash of the same cost, and answer false', async () => {
    const verify = vi.mocked(argon2.verify);
    verify.mockClear();
    expect(await verifyPassword(null, 'correct horse battery')).toBe(false);
    expect(verify).toHaveBeenCalledTimes(1);
    const [dummy, password] = verify.mock.calls[0]!;
    expect(password).toBe('correct horse battery');
    expect(String(dummy)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    // The dummy is well-formed: verifying against it runs, and fails, instead of throwing at once.
    await expect(argon2.verify(String(dummy), 'correct horse battery')).resolves.toBe(false);
  });

  it('with no stored hash, answer false even if the dummy hash were to match', async () => {
    vi.mocked(argon2.verify).mockResolvedValueOnce(true);
    expect(await verifyPassword(null, 'correct horse battery')).toBe(false);
    vi.mocked(argon2.verify).mockResolvedValueOnce(true);
    expect(await verifyPassword(PHC_PREFIX, 'correct horse battery')).toBe(true);
  });
});

describe('link tokens', () => {
  it('are 32 random bytes in base64url, each with the SHA-256 of the token as hex', () => {
    const tokens = Array.from({ length: 20 }, () => generateLinkToken());
    for (const { token, hash } of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      expect(hash).toBe(hashLinkToken(token));
    }
    expect(new Set(tokens.map((t) => t.token)).size).toBe(20);
  });

  it('hash as SHA-256 in lower-case hex', () => {
    expect(hashLinkToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('go in the fragment of the dashboard page, after the base without its trailing slashes', () => {
    expect(passwordLinkUrl('https://app.example', 'tok')).toBe('https://app.example/dashboard/set-password#token=tok');
    expect(passwordLinkUrl('https://app.example///', 'tok')).toBe('https://app.example/dashboard/set-password#token=tok');
    expect(passwordLinkUrl('https://app.example/base/', 'a-b_c')).toBe('https://app.example/base/dashboard/set-password#token=a-b_c');
  });
});
