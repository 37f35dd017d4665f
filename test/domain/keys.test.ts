import { describe, expect, it } from 'vitest';
import { KEY_PATTERN, bearerToken, generateKey, hashKey } from '../../server/domain/keys.js';

const HEX48 = '0123456789abcdef'.repeat(3);

describe('KEY_PATTERN', () => {
  it('matches alm_live_ and alm_test_ with 48 lowercase hex characters', () => {
    expect(KEY_PATTERN.test(`alm_live_${HEX48}`)).toBe(true);
    expect(KEY_PATTERN.test(`alm_test_${HEX48}`)).toBe(true);
  });

  it('refuses any other environment, length, alphabet, or surrounding text', () => {
    for (const bad of [
      `alm_prod_${HEX48}`,
      `alm__${HEX48}`,
      `alm_live_${HEX48.slice(1)}`,
      `alm_live_${HEX48}0`,
      `alm_live_${HEX48.toUpperCase()}`,
      `alm_live_${HEX48.slice(1)}g`,
      `xalm_live_${HEX48}`,
      `alm_live_${HEX48} `,
      `ALM_live_${HEX48}`,
      `alm-live-${HEX48}`,
      '',
    ]) {
      expect(KEY_PATTERN.test(bad), bad).toBe(false);
    }
  });
});

describe('hashKey', () => {
  it('is the SHA-256 of the key as lowercase hex', () => {
    expect(hashKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashKey('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('generateKey', () => {
  it('mints a key of the given environment, its 12-character prefix and its hash', () => {
    for (const env of ['live', 'test'] as const) {
      const { key, prefix, hash } = generateKey(env);
      expect(key).toMatch(KEY_PATTERN);
      expect(key.startsWith(`alm_${env}_`)).toBe(true);
      expect(prefix).toBe(key.slice(0, 12));
      expect(prefix).toHaveLength(12);
      expect(hash).toBe(hashKey(key));
    }
  });

  it('never mints the same key twice', () => {
    const keys = new Set(Array.from({ length: 50 }, () => generateKey('test').key));
    expect(keys.size).toBe(50);
  });
});

describe('bearerToken', () => {
  it('reads the token of a Bearer header, in any case of the scheme, with spaces around it', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('BEARER abc')).toBe('abc');
    expect(bearerToken('Bearer    abc')).toBe('abc');
    expect(bearerToken('Bearer abc   ')).toBe('abc');
    expect(bearerToken(`Bearer alm_test_${HEX48}`)).toBe(`alm_test_${HEX48}`);
  });

  it('gives undefined for no header, another scheme, or anything but one token', () => {
    for (const bad of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearerabc',
      'Basic abc',
      'xBearer abc',
      ' Bearer abc',
      'Bearer a b',
      'Bearer abc\t',
      'Bearer\tabc',
      'Token Bearer abc',
    ]) {
      expect(bearerToken(bad), String(bad)).toBeUndefined();
    }
  });
});
