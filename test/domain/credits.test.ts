import { describe, expect, it } from 'vitest';
import { MAX_GRANT_MICRO, parseCredits, toCreditAmount } from '../../server/domain/credits.js';
import { usageWindow } from '../../server/domain/usage.js';
import { asData, thrown } from './thrown.js';

describe('credit amounts', () => {
  it('answers credits and creditMicro for the same amount', () => {
    expect(toCreditAmount(12_500_000n)).toEqual({ credits: 12.5, creditMicro: 12_500_000 });
    expect(toCreditAmount(-1n)).toEqual({ credits: -0.000001, creditMicro: -1 });
    expect(toCreditAmount(0n)).toEqual({ credits: 0, creditMicro: 0 });
  });

  it('parses plain non-negative decimals with up to six places', () => {
    expect(parseCredits('12.5')).toBe(12_500_000n);
    expect(parseCredits(' 3 ')).toBe(3_000_000n);
    expect(parseCredits('0.000001')).toBe(1n);
    expect(parseCredits('0')).toBe(0n);
    expect(parseCredits('1000000000')).toBe(MAX_GRANT_MICRO);
    expect(MAX_GRANT_MICRO).toBe(1_000_000_000_000_000n);
    for (const bad of ['', '-1', 'abc', '1.1234567', '1e3', '.5', '5.', '1,5', '1000000000.000001', '0x10', '1 2']) {
      expect(parseCredits(bad), bad).toBeUndefined();
    }
  });
});

describe('usageWindow', () => {
  const now = Date.parse('2026-12-01T10:00:00.000Z');
  const day = 86_400_000;
  it('defaults to the 30 days before now, and to 30 days before a given end', () => {
    expect(usageWindow(undefined, undefined, now)).toEqual({ from: new Date(now - 30 * day), to: new Date(now) });
    expect(usageWindow(undefined, '2026-11-01T00:00:00.000Z', now)).toEqual({
      from: new Date('2026-10-02T00:00:00.000Z'),
      to: new Date('2026-11-01T00:00:00.000Z'),
    });
    expect(usageWindow('2026-11-30T00:00:00.000Z', undefined, now)).toEqual({
      from: new Date('2026-11-30T00:00:00.000Z'),
      to: new Date(now),
    });
  });

  it('refuses an empty or reversed range, and one over 366 days, with 422 on query.from', () => {
    expect(asData(thrown(() => usageWindow('2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', now)))).toEqual({
      status: 422,
      code: 'VALIDATION_ERROR',
      message: 'from must be before to',
      details: [{ path: 'query.from', message: 'must be before to' }],
    });
    expect(thrown(() => usageWindow('2026-11-02T00:00:00Z', '2026-11-01T00:00:00Z', now)).code).toBe('VALIDATION_ERROR');
    const end = Date.parse('2026-12-01T00:00:00Z');
    expect(usageWindow(new Date(end - 366 * day).toISOString(), new Date(end).toISOString(), now).from).toEqual(new Date(end - 366 * day));
    expect(asData(thrown(() => usageWindow(new Date(end - 366 * day - 1).toISOString(), new Date(end).toISOString(), now)))).toEqual({
      status: 422,
      code: 'VALIDATION_ERROR',
      message: 'The range from..to may span at most 366 days',
      details: [{ path: 'query.from', message: 'must be at most 366 days before to' }],
    });
  });
});
