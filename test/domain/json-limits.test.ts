import { describe, expect, it } from 'vitest';
import { METADATA_LIMITS, PROJECT_METADATA_LIMITS, PROJECT_SETTINGS_LIMITS, checkJsonLimits } from '../../server/domain/json-limits.js';
import { asData, thrown } from './thrown.js';

/** `n` levels of containers: nest(1) is `{}`, nest(2) is `{"a":{}}`. */
const nest = (n: number, leaf: unknown = {}): unknown => (n <= 1 ? leaf : { a: nest(n - 1, leaf) });
const nestArrays = (n: number): unknown => (n <= 1 ? [] : [nestArrays(n - 1)]);
/** An object that serializes to exactly `bytes` bytes of JSON, with a string of `char`s. */
const ofBytes = (bytes: number, char = 'x') => {
  const overhead = Buffer.byteLength('{"k":""}');
  const per = Buffer.byteLength(char);
  expect((bytes - overhead) % per).toBe(0);
  const value = { k: char.repeat((bytes - overhead) / per) };
  expect(Buffer.byteLength(JSON.stringify(value))).toBe(bytes);
  return value;
};

describe('the limits', () => {
  it('are 32 KB and 8 levels for metadata and settings; the project ones differ as documented', () => {
    expect(METADATA_LIMITS).toEqual({ maxBytes: 32768, maxDepth: 8 });
    expect(PROJECT_METADATA_LIMITS).toEqual({ maxBytes: 32768, maxDepth: 12 });
    expect(PROJECT_SETTINGS_LIMITS).toEqual({ maxBytes: 8192, maxDepth: 8 });
  });
});

describe('checkJsonLimits: size', () => {
  it('accepts exactly maxBytes serialized and refuses one byte more', () => {
    expect(() => checkJsonLimits(ofBytes(32768), METADATA_LIMITS, 'body.metadata')).not.toThrow();
    expect(asData(thrown(() => checkJsonLimits(ofBytes(32769), METADATA_LIMITS, 'body.metadata')))).toEqual({
      status: 422,
      code: 'VALIDATION_ERROR',
      message: 'body.metadata is 32769 bytes serialized; the limit is 32768',
      details: [{ path: 'body.metadata', message: 'must be at most 32768 bytes as JSON' }],
    });
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 'é' is 2 bytes: this is 32,768 bytes in fewer characters, then 32,770.
    expect(() => checkJsonLimits(ofBytes(32768, 'é'), METADATA_LIMITS, 'p')).not.toThrow();
    expect(thrown(() => checkJsonLimits(ofBytes(32770, 'é'), METADATA_LIMITS, 'p')).message).toBe(
      'p is 32770 bytes serialized; the limit is 32768',
    );
  });

  it('uses the limits it is given', () => {
    expect(() => checkJsonLimits(ofBytes(8192), PROJECT_SETTINGS_LIMITS, 'p')).not.toThrow();
    expect(thrown(() => checkJsonLimits(ofBytes(8193), PROJECT_SETTINGS_LIMITS, 'p')).details).toEqual([
      { path: 'p', message: 'must be at most 8192 bytes as JSON' },
    ]);
  });
});

describe('checkJsonLimits: depth', () => {
  it('accepts exactly maxDepth levels and refuses one more, objects and arrays alike', () => {
    expect(() => checkJsonLimits(nest(8), METADATA_LIMITS, 'p')).not.toThrow();
    expect(() => checkJsonLimits(nest(8, 'leaf'), METADATA_LIMITS, 'p')).not.toThrow();
    expect(() => checkJsonLimits(nestArrays(8), METADATA_LIMITS, 'p')).not.toThrow();
    expect(asData(thrown(() => checkJsonLimits(nest(9), METADATA_LIMITS, 'body.settings')))).toEqual({
      status: 422,
      code: 'VALIDATION_ERROR',
      message: 'body.settings nests deeper than 8 levels',
      details: [{ path: 'body.settings', message: 'must nest at most 8 levels' }],
    });
    expect(thrown(() => checkJsonLimits(nestArrays(9), METADATA_LIMITS, 'p')).code).toBe('VALIDATION_ERROR');
    expect(() => checkJsonLimits(nest(12), PROJECT_METADATA_LIMITS, 'p')).not.toThrow();
    expect(thrown(() => checkJsonLimits(nest(13), PROJECT_METADATA_LIMITS, 'p')).message).toBe('p nests deeper than 12 levels');
  });

  it('counts containers only: `{}` is one level, a scalar none', () => {
    const one = { maxBytes: 1000, maxDepth: 1 };
    expect(() => checkJsonLimits({}, one, 'p')).not.toThrow();
    expect(() => checkJsonLimits({ a: 1, b: 'x', c: null, d: true }, one, 'p')).not.toThrow();
    expect(() => checkJsonLimits({ a: {} }, one, 'p')).toThrow();
    expect(() => checkJsonLimits({ a: [] }, one, 'p')).toThrow();
    const none = { maxBytes: 1000, maxDepth: 0 };
    expect(() => checkJsonLimits(5, none, 'p')).not.toThrow();
    expect(() => checkJsonLimits(null, none, 'p')).not.toThrow();
    expect(() => checkJsonLimits('s', none, 'p')).not.toThrow();
    expect(() => checkJsonLimits({}, none, 'p')).toThrow();
  });

  it('looks past shallow siblings to a deep one, wherever it is', () => {
    const two = { maxBytes: 1000, maxDepth: 2 };
    expect(() => checkJsonLimits({ a: 1, b: { c: {} } }, two, 'p')).toThrow();
    expect(() => checkJsonLimits({ b: { c: {} }, a: 1 }, two, 'p')).toThrow();
    expect(() => checkJsonLimits([1, null, [[]]], two, 'p')).toThrow();
    expect(() => checkJsonLimits({ a: { x: 1 }, b: { y: [1, 2] } }, { maxBytes: 1000, maxDepth: 3 }, 'p')).not.toThrow();
    expect(() => checkJsonLimits({ a: { x: 1 }, b: { y: [1, 2] } }, two, 'p')).toThrow();
  });

  it('checks the size first', () => {
    const big = nest(9, 'x'.repeat(40_000));
    expect(thrown(() => checkJsonLimits(big, METADATA_LIMITS, 'p')).details).toEqual([
      { path: 'p', message: 'must be at most 32768 bytes as JSON' },
    ]);
  });
});
