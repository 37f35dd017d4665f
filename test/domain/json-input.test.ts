import { describe, expect, it } from 'vitest';
import { MAX_BODY_DEPTH, unstorable } from '../../server/domain/json-input.js';
import { asData } from './thrown.js';

/** The refusal of `value` as plain data; a failure when it is accepted. */
const refusal = (value: unknown) => {
  const err = unstorable(value);
  expect(err, JSON.stringify(value)).toBeDefined();
  return asData(err!);
};
const bad = (message: string, path: string, detail: string) => ({
  status: 400,
  code: 'BAD_REQUEST',
  message,
  details: [{ path, message: detail }],
});
const NUL = (path: string) => bad('Strings may not contain NUL (\\u0000) characters', path, 'contains a NUL character');
const SURROGATE = (path: string) =>
  bad('Strings may not contain unpaired UTF-16 surrogates (\\ud800-\\udfff)', path, 'contains an unpaired surrogate');
const INFINITE = (path: string) =>
  bad('Numbers must be finite: this one is too large for JSON to hold', path, 'is a number too large to store');
const DEEP = (path: string) => bad('The body nests deeper than 64 levels', path, 'nests deeper than 64 levels');
const RESERVED = (key: string, path: string) => bad(`The key ${key} is not accepted in a body`, path, 'is a reserved key');

/** `n` levels of objects: nest(1) is `{}`; the innermost holds `leaf` under `a` when given. */
const nest = (n: number, leaf?: unknown): unknown => (n <= 1 ? (leaf === undefined ? {} : { a: leaf }) : { a: nest(n - 1, leaf) });
const pathOf = (n: number) => ['body', ...Array<string>(n).fill('a')].join('.');

describe('unstorable: accepted bodies', () => {
  it('passes ordinary JSON of every type', () => {
    for (const ok of [
      null,
      true,
      0,
      -1.5,
      1e308,
      -1e308,
      Number.MIN_VALUE,
      '',
      'text',
      '😀 \ud83d\ude00',
      'a\u0001b',
      [],
      {},
      [1, 'two', null, { three: [3] }],
      { name: 'Ala', nested: { list: [1, 2, { deep: 'x' }] }, constructor: 'a string', prototype: {}, proto: 1 },
      { constructor: {} },
      { constructor: null },
      { constructor: [] },
      { constructor: 5 },
      { a: { constructor: { other: 1 } } },
      { a: { prototype: {} } },
      { proto: { prototype: 1 } },
    ]) {
      expect(unstorable(ok), JSON.stringify(ok)).toBeUndefined();
    }
  });

  it('accepts a body exactly 64 levels deep, with scalars below the last level', () => {
    expect(MAX_BODY_DEPTH).toBe(64);
    expect(unstorable(nest(64))).toBeUndefined();
    expect(unstorable(nest(64, 'leaf'))).toBeUndefined();
    expect(unstorable(nest(64, 1))).toBeUndefined();
  });
});

describe('unstorable: NUL and unpaired surrogates', () => {
  it('refuses NUL in a value, naming where it is', () => {
    expect(refusal('a\0b')).toEqual(NUL('body'));
    expect(refusal({ name: '\0' })).toEqual(NUL('body.name'));
    expect(refusal({ a: { b: ['ok', 'x\u0000'] } })).toEqual(NUL('body.a.b.1'));
  });

  it('refuses NUL in a key, naming the object that holds it', () => {
    expect(refusal({ 'k\0': 1 })).toEqual(NUL('body'));
    expect(refusal({ a: { ['\0']: 1 } })).toEqual(NUL('body.a'));
  });

  it('refuses a lone high or low surrogate, in a value or a key, but not a pair', () => {
    expect(refusal({ s: 'x\ud800' })).toEqual(SURROGATE('body.s'));
    expect(refusal({ s: '\udc00x' })).toEqual(SURROGATE('body.s'));
    expect(refusal({ s: '\ude00\ud83d' })).toEqual(SURROGATE('body.s'));
    expect(refusal({ ['\udfff']: 1 })).toEqual(SURROGATE('body'));
    expect(unstorable({ s: '\ud83d\ude00', ['\u{1F600}']: 1 })).toBeUndefined();
  });

  it('reports NUL before a surrogate in the same string', () => {
    expect(refusal({ s: '\ud800\0' })).toEqual(NUL('body.s'));
  });
});

describe('unstorable: numbers', () => {
  it('refuses Infinity, -Infinity and NaN (what 1e400 parses to)', () => {
    expect(refusal(JSON.parse('{"n":1e400}'))).toEqual(INFINITE('body.n'));
    expect(refusal({ n: -Infinity })).toEqual(INFINITE('body.n'));
    expect(refusal([Number.NaN])).toEqual(INFINITE('body.0'));
    expect(refusal(Infinity)).toEqual(INFINITE('body'));
  });
});

describe('unstorable: depth', () => {
  it('refuses 65 levels, naming the first container past the limit', () => {
    expect(refusal(nest(65))).toEqual(DEEP(pathOf(64)));
    expect(refusal(nest(100))).toEqual(DEEP(pathOf(64)));
  });

  it('counts arrays as levels too', () => {
    let arrays: unknown = [];
    for (let i = 1; i < 64; i++) arrays = [arrays];
    expect(unstorable(arrays)).toBeUndefined();
    expect(refusal([arrays])).toEqual(DEEP(['body', ...Array<string>(64).fill('0')].join('.')));
  });
});

describe('unstorable: prototype keys', () => {
  it('refuses __proto__ as JSON.parse keeps it, whatever its value', () => {
    expect(refusal(JSON.parse('{"__proto__":{"isAdmin":true}}'))).toEqual(RESERVED('__proto__', 'body.__proto__'));
    expect(refusal(JSON.parse('{"__proto__":1}'))).toEqual(RESERVED('__proto__', 'body.__proto__'));
    expect(refusal(JSON.parse('{"__proto__":null}'))).toEqual(RESERVED('__proto__', 'body.__proto__'));
    expect(refusal(JSON.parse('{"a":{"b":[{"__proto__":{}}]}}'))).toEqual(RESERVED('__proto__', 'body.a.b.0.__proto__'));
  });

  it('refuses constructor.prototype, and only that use of constructor', () => {
    expect(refusal({ constructor: { prototype: { isAdmin: true } } })).toEqual(RESERVED('constructor', 'body.constructor'));
    expect(refusal({ constructor: { prototype: null } })).toEqual(RESERVED('constructor', 'body.constructor'));
    expect(refusal({ x: { constructor: { prototype: 1 } } })).toEqual(RESERVED('constructor', 'body.x.constructor'));
    // A function has an own `prototype`, but it is not an object a JSON body can hold.
    expect(unstorable({ constructor: function named() {} })).toBeUndefined();
  });
});
