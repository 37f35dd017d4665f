import { describe, expect, it } from 'vitest';
import {
  COMPANY_MAX,
  DEDUP_WINDOW_MS,
  EMAIL_LOCAL_MAX,
  EMAIL_MAX,
  MESSAGE_MAX,
  NAME_MAX,
  TEAM_SIZES,
  honeypotFilled,
  normalizeInquiry,
  type InquiryInput,
} from '../../server/domain/inquiries.js';
import { asData, thrown } from './thrown.js';

const VALID: InquiryInput = { name: 'Ada Lovelace', email: 'ada@example.com', company: 'Analytical Engines', teamSize: '11-50' };
const STORED = { name: 'Ada Lovelace', email: 'ada@example.com', company: 'Analytical Engines', teamSize: '11-50', message: null };

/** The one 422 for a single field out of bounds. */
const refusal = (path: string, message: string) => ({
  status: 422,
  code: 'VALIDATION_ERROR',
  message: `${path} ${message}`,
  details: [{ path, message }],
});

const EMAIL_RULE = 'must be an email address of at most 254 characters (64 before the @)';
/** A 190-character domain of labels within 63 characters. */
const DOMAIN_190 = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`;

describe('the limits', () => {
  it('are the documented ones', () => {
    expect({ NAME_MAX, COMPANY_MAX, EMAIL_MAX, EMAIL_LOCAL_MAX, MESSAGE_MAX, DEDUP_WINDOW_MS }).toEqual({
      NAME_MAX: 200,
      COMPANY_MAX: 200,
      EMAIL_MAX: 254,
      EMAIL_LOCAL_MAX: 64,
      MESSAGE_MAX: 5000,
      DEDUP_WINDOW_MS: 86_400_000,
    });
    expect(TEAM_SIZES).toEqual(['1-10', '11-50', '51-200', '201-1000', '1001+']);
  });
});

describe('honeypotFilled', () => {
  it('is false for a missing, empty or blank field', () => {
    for (const website of [undefined, null, '', ' ', ' \t\n\u00a0\u0085\u3000 '])
      expect(honeypotFilled(website), JSON.stringify(website)).toBe(false);
  });

  it('is true for anything else, including a format character that is not white space', () => {
    for (const website of ['x', ' https://spam.example ', 'a b', '\ufeff', '\u200b'])
      expect(honeypotFilled(website), JSON.stringify(website)).toBe(true);
  });
});

describe('normalizeInquiry: a valid form', () => {
  it('is stored with the team size as sent and no message', () => {
    expect(normalizeInquiry(VALID)).toEqual(STORED);
    for (const teamSize of TEAM_SIZES) expect(normalizeInquiry({ ...VALID, teamSize }).teamSize).toBe(teamSize);
  });

  it('collapses white space in the name and company, Unicode white space included', () => {
    expect(normalizeInquiry({ ...VALID, name: '  Ada \t\n Lovelace\u00a0', company: '\u3000Analytical   Engines\u0085' })).toEqual(STORED);
  });

  it('trims and lowercases the email', () => {
    expect(normalizeInquiry({ ...VALID, email: ' \u00a0Ada@Example.COM\n' }).email).toBe('ada@example.com');
    expect(normalizeInquiry({ ...VALID, email: 'a+tag@sub.example.co.uk' }).email).toBe('a+tag@sub.example.co.uk');
  });

  it('trims the message but keeps its inner white space and line breaks; an empty one is none', () => {
    expect(normalizeInquiry({ ...VALID, message: '\n  Hello,\n\n  we are   ten.  \u00a0' }).message).toBe('Hello,\n\n  we are   ten.');
    for (const message of [undefined, null, '', '  \n\t\u0085 '])
      expect(normalizeInquiry({ ...VALID, message }).message, JSON.stringify(message)).toBeNull();
  });

  it('ignores the honeypot, which the handler checks on its own', () => {
    expect(normalizeInquiry({ ...VALID, website: 'https://spam.example' })).toEqual(STORED);
  });
});

describe('normalizeInquiry: name and company', () => {
  for (const [field, max] of [
    ['name', NAME_MAX],
    ['company', COMPANY_MAX],
  ] as const) {
    it(`${field}: accepts 1 to ${max} characters after collapsing, counted in code points`, () => {
      expect(normalizeInquiry({ ...VALID, [field]: 'A' })[field]).toBe('A');
      expect(normalizeInquiry({ ...VALID, [field]: ` ${'a'.repeat(max)} ` })[field]).toBe('a'.repeat(max));
      expect(normalizeInquiry({ ...VALID, [field]: `${'a'.repeat(100)}     ${'a'.repeat(max - 101)}` })[field]).toHaveLength(max);
      expect(normalizeInquiry({ ...VALID, [field]: '😀'.repeat(max) })[field]).toBe('😀'.repeat(max));
    });

    it(`${field}: refuses an empty, blank or over-long value`, () => {
      for (const value of ['', ' \n\u00a0 ', 'a'.repeat(max + 1), '😀'.repeat(max + 1)]) {
        expect(asData(thrown(() => normalizeInquiry({ ...VALID, [field]: value }))), `${value.length}`).toEqual(
          refusal(`body.${field}`, `must be 1 to ${max} characters after trimming`),
        );
      }
    });

    it(`${field}: refuses an invisible character by its code point, whatever the length`, () => {
      expect(asData(thrown(() => normalizeInquiry({ ...VALID, [field]: 'Ada\u200bLovelace' })))).toEqual(
        refusal(`body.${field}`, 'must not contain the invisible character U+200B'),
      );
      // One problem per field: an invisible character is reported alone, not with the length.
      expect(asData(thrown(() => normalizeInquiry({ ...VALID, [field]: `\u2066${'a'.repeat(max + 5)}` })))).toEqual(
        refusal(`body.${field}`, 'must not contain the invisible character U+2066'),
      );
    });
  }
});

describe('normalizeInquiry: email', () => {
  it('accepts up to 64 characters before the @ and 254 in all', () => {
    const longest = `${'a'.repeat(64)}@${DOMAIN_190.slice(1)}`;
    expect(longest).toHaveLength(254);
    expect(normalizeInquiry({ ...VALID, email: longest }).email).toBe(longest);
    // Long in all, short before the @: only the whole address counts against 254.
    expect(normalizeInquiry({ ...VALID, email: `ada@${'b'.repeat(63)}.com` }).email).toBe(`ada@${'b'.repeat(63)}.com`);
    // The length counts after trimming.
    expect(normalizeInquiry({ ...VALID, email: ` ${'a'.repeat(64)}@example.com ` }).email).toBe(`${'a'.repeat(64)}@example.com`);
  });

  it('refuses 65 characters before the @ or 255 in all, though the shape is fine', () => {
    for (const email of [`${'a'.repeat(65)}@example.com`, `${'a'.repeat(64)}@${DOMAIN_190}`]) {
      expect(asData(thrown(() => normalizeInquiry({ ...VALID, email }))), `${email.length}`).toEqual(refusal('body.email', EMAIL_RULE));
    }
  });

  it('refuses what is not an address a reply can go to', () => {
    for (const email of [
      '',
      '   ',
      'ada',
      'ada@',
      '@example.com',
      'ada@example',
      'ada@example.c',
      'ada@example.com.',
      'a..b@example.com',
      '.ada@example.com',
      'ada.@example.com',
      'a b@example.com',
      'a@b@example.com',
      '"ada"@example.com',
      'ada@[127.0.0.1]',
      'adä@example.com',
      'ada@-example.com',
    ]) {
      expect(asData(thrown(() => normalizeInquiry({ ...VALID, email }))), email).toEqual(refusal('body.email', EMAIL_RULE));
    }
  });
});

describe('normalizeInquiry: message', () => {
  it('accepts 5,000 characters after trimming and refuses 5,001', () => {
    expect(normalizeInquiry({ ...VALID, message: ` ${'m'.repeat(5000)}\n` }).message).toBe('m'.repeat(5000));
    expect(normalizeInquiry({ ...VALID, message: '😀'.repeat(5000) }).message).toBe('😀'.repeat(5000));
    for (const message of ['m'.repeat(5001), '😀'.repeat(5001)]) {
      expect(asData(thrown(() => normalizeInquiry({ ...VALID, message })))).toEqual(
        refusal('body.message', 'must be at most 5000 characters after trimming'),
      );
    }
  });
});

describe('normalizeInquiry: several problems', () => {
  it('are one 422 listing each field in form order, without quoting what was sent', () => {
    const err = thrown(() =>
      normalizeInquiry({ name: ' ', email: 'secret-address', company: 'Co\u200b', teamSize: '1-10', message: 'x'.repeat(5001) }),
    );
    const details = [
      { path: 'body.name', message: 'must be 1 to 200 characters after trimming' },
      { path: 'body.email', message: EMAIL_RULE },
      { path: 'body.company', message: 'must not contain the invisible character U+200B' },
      { path: 'body.message', message: 'must be at most 5000 characters after trimming' },
    ];
    expect(asData(err)).toEqual({
      status: 422,
      code: 'VALIDATION_ERROR',
      message: details.map((d) => `${d.path} ${d.message}`).join('; '),
      details,
    });
    expect(err.message).not.toContain('secret-address');
  });
});
