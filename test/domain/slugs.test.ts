import { describe, expect, it } from 'vitest';
import { MAX_SLUG_LENGTH, UUID_SHAPE, byRef, slugify } from '../../server/domain/slugs.js';

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('UUID_SHAPE', () => {
  it('matches the 8-4-4-4-12 hex shape in either case', () => {
    expect(UUID_SHAPE.test(UUID)).toBe(true);
    expect(UUID_SHAPE.test(UUID.toUpperCase())).toBe(true);
    expect(UUID_SHAPE.test('00000000-0000-0000-0000-000000000000')).toBe(true);
    expect(UUID_SHAPE.test('abcdef01-2345-6789-abcd-ef0123456789')).toBe(true);
  });

  it('does not match a name that merely starts or ends with a UUID', () => {
    expect(UUID_SHAPE.test(`${UUID}-x`)).toBe(false);
    expect(UUID_SHAPE.test(`${UUID}0`)).toBe(false);
    expect(UUID_SHAPE.test(`x-${UUID}`)).toBe(false);
    expect(UUID_SHAPE.test(`0${UUID}`)).toBe(false);
  });

  it('needs every group at its exact length and hex only', () => {
    for (const bad of [
      '0f8fad5-d9cb-469f-a165-70867728950e',
      '0f8fad5bb-d9cb-469f-a165-70867728950e',
      '0f8fad5b-d9c-469f-a165-70867728950e',
      '0f8fad5b-d9cbb-469f-a165-70867728950e',
      '0f8fad5b-d9cb-469-a165-70867728950e',
      '0f8fad5b-d9cb-469ff-a165-70867728950e',
      '0f8fad5b-d9cb-469f-a16-70867728950e',
      '0f8fad5b-d9cb-469f-a1655-70867728950e',
      '0f8fad5b-d9cb-469f-a165-70867728950',
      '0f8fad5b-d9cb-469f-a165-70867728950ee',
      'gf8fad5b-d9cb-469f-a165-70867728950e',
      '0f8fad5b-g9cb-469f-a165-70867728950e',
      '0f8fad5b-d9cb-g69f-a165-70867728950e',
      '0f8fad5b-d9cb-469f-g165-70867728950e',
      '0f8fad5b-d9cb-469f-a165-g0867728950e',
      '0f8fad5bd9cb469fa16570867728950e',
      '0f8fad5b_d9cb_469f_a165_70867728950e',
    ]) {
      expect(UUID_SHAPE.test(bad), bad).toBe(false);
    }
  });
});

describe('slugify', () => {
  it('lowercases and turns every other run of characters into one hyphen', () => {
    expect(slugify('Research Assistant')).toBe('research-assistant');
    expect(slugify('a   b')).toBe('a-b');
    expect(slugify('a, b & c!')).toBe('a-b-c');
    expect(slugify('R2 D2')).toBe('r2-d2');
    expect(slugify('ABC xyz 0189')).toBe('abc-xyz-0189');
  });

  it('drops leading and trailing separators but keeps inner ones', () => {
    expect(slugify('  hello  ')).toBe('hello');
    expect(slugify('--hello--')).toBe('hello');
    expect(slugify('!a b!')).toBe('a-b');
    expect(slugify('a b')).toBe('a-b');
  });

  it('folds diacritics and compatibility forms', () => {
    expect(slugify('Café Noël')).toBe('cafe-noel');
    expect(slugify('Ångström')).toBe('angstrom');
    expect(slugify('ﬁne Ｆｕｌｌ')).toBe('fine-full');
    expect(slugify('Ĳssel')).toBe('ijssel');
  });

  it('spells out the Latin letters decomposition leaves whole, in either case', () => {
    expect(slugify('ß æ œ ø ł đ ð þ ı')).toBe('ss-ae-oe-o-l-d-d-th-i');
    expect(slugify('Æ Œ Ø Ł Đ Ð Þ')).toBe('ae-oe-o-l-d-d-th');
    expect(slugify('Straße')).toBe('strasse');
    expect(slugify('Łódź')).toBe('lodz');
  });

  it('gives agent for names with nothing usable', () => {
    expect(slugify('')).toBe('agent');
    expect(slugify('!!!')).toBe('agent');
    expect(slugify('日本語')).toBe('agent');
    expect(slugify(' - ')).toBe('agent');
  });

  it('keeps at most 56 characters, never ending on a hyphen', () => {
    expect(slugify('a'.repeat(56))).toBe('a'.repeat(56));
    expect(slugify('a'.repeat(57))).toBe('a'.repeat(56));
    expect(slugify('a'.repeat(200))).toBe('a'.repeat(56));
    // The cut falls right after a separator: the hyphen goes.
    expect(slugify(`${'a'.repeat(55)} bcd`)).toBe('a'.repeat(55));
    expect(slugify(`${'a'.repeat(54)} bcd`)).toBe(`${'a'.repeat(54)}-b`);
    // Leading separators do not count against the 56.
    expect(slugify(`!!!${'a'.repeat(56)}`)).toBe('a'.repeat(56));
    expect(MAX_SLUG_LENGTH).toBe(64);
  });

  it('prefixes a UUID-shaped result so it never reads as an id', () => {
    expect(slugify(UUID)).toBe(`agent-${UUID}`);
    expect(slugify(UUID.toUpperCase())).toBe(`agent-${UUID}`);
    expect(slugify(` ${UUID} `)).toBe(`agent-${UUID}`);
    expect(slugify(`${UUID} x`)).toBe(`${UUID}-x`);
  });
});

describe('byRef', () => {
  it('reads a UUID as an id and anything else as a slug, both lowercased', () => {
    expect(byRef(UUID)).toEqual({ id: UUID });
    expect(byRef(UUID.toUpperCase())).toEqual({ id: UUID });
    expect(byRef('Research-Assistant')).toEqual({ slug: 'research-assistant' });
    expect(byRef(`${UUID}-x`)).toEqual({ slug: `${UUID}-x` });
    expect(byRef('ala')).toEqual({ slug: 'ala' });
  });
});
