import { describe, expect, it } from 'vitest';
import {
  BODY_KEPT_BYTES,
  FAILING_LIMIT_MS,
  MAX_PAYLOAD_BYTES,
  RETRY_AFTER_CAP_MS,
  RETRY_SCHEDULE_MS,
  disabledActivity,
  errorName,
  failingAfter,
  isSuccess,
  keptBody,
  outcomeOf,
  parseRetryAfter,
  payloadOf,
  retryDelayMs,
  signingSecrets,
} from '../../server/domain/webhook-schedule.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const now = new Date('2026-12-01T09:00:00.000Z');

describe('the retry schedule', () => {
  it('is 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h after the 1st to 9th failure, then nothing', () => {
    expect(RETRY_SCHEDULE_MS).toEqual([5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H]);
    expect(RETRY_SCHEDULE_MS.map((_, i) => retryDelayMs(i + 1, 1, 0.5))).toEqual(RETRY_SCHEDULE_MS);
    expect(retryDelayMs(10, 1, 0.5)).toBeNull();
    expect(retryDelayMs(0, 1, 0.5)).toBeNull();
  });

  it('jitters by ±10 % and scales', () => {
    expect(retryDelayMs(1, 1, 0)).toBe(4500);
    expect(retryDelayMs(1, 1, 1)).toBe(5500);
    expect(retryDelayMs(1, 1, 0.75)).toBe(5250);
    expect(retryDelayMs(2, 0.001, 0.5)).toBe(300);
    expect(retryDelayMs(9, 0.5, 0.5)).toBe(12 * H);
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates, caps at 24 h, ignores what it cannot read', () => {
    expect(parseRetryAfter('120', now)).toBe(120 * S);
    expect(parseRetryAfter(' 7 ', now)).toBe(7 * S);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('999999', now)).toBe(RETRY_AFTER_CAP_MS);
    expect(RETRY_AFTER_CAP_MS).toBe(24 * H);
    expect(parseRetryAfter('Tue, 01 Dec 2026 09:01:00 GMT', now)).toBe(60 * S);
    expect(parseRetryAfter('Tue, 01 Dec 2026 08:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('Fri, 01 Jan 2027 09:00:00 GMT', now)).toBe(RETRY_AFTER_CAP_MS);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
  });
});

describe('the outcome of an attempt', () => {
  const out = (statusCode: number | null, attempts = 1, retryAfter?: string) =>
    outcomeOf({ statusCode, error: statusCode === null ? 'timeout' : null, retryAfter }, attempts, 1, 0.5, now);

  it('any 2xx succeeds; 410 is gone; anything else retries, a redirect included', () => {
    expect(out(200)).toEqual({ kind: 'succeeded' });
    expect(out(204)).toEqual({ kind: 'succeeded' });
    expect(out(299)).toEqual({ kind: 'succeeded' });
    expect(out(410)).toEqual({ kind: 'gone' });
    for (const code of [199, 300, 301, 400, 404, 500, null]) expect(out(code)).toEqual({ kind: 'retry', delayMs: 5 * S });
    expect(isSuccess(null)).toBe(false);
    expect(isSuccess(199)).toBe(false);
    expect(isSuccess(300)).toBe(false);
    expect(isSuccess(200)).toBe(true);
  });

  it('fails once the schedule is spent; a 2xx or a 410 on the last attempt still counts as such', () => {
    expect(out(500, 9)).toEqual({ kind: 'retry', delayMs: 24 * H });
    expect(out(500, 10)).toEqual({ kind: 'failed' });
    expect(out(200, 10)).toEqual({ kind: 'succeeded' });
    expect(out(410, 10)).toEqual({ kind: 'gone' });
  });

  it('waits at least the Retry-After of 429, 502, 503 and 504, never less than the schedule, and ignores it elsewhere', () => {
    for (const code of [429, 502, 503, 504]) expect(out(code, 1, '60')).toEqual({ kind: 'retry', delayMs: 60 * S });
    expect(out(429, 1, '1')).toEqual({ kind: 'retry', delayMs: 5 * S });
    expect(out(500, 1, '60')).toEqual({ kind: 'retry', delayMs: 5 * S });
    expect(out(429, 1)).toEqual({ kind: 'retry', delayMs: 5 * S });
    expect(out(503, 1, 'nonsense')).toEqual({ kind: 'retry', delayMs: 5 * S });
  });
});

describe('the failure streak', () => {
  it('starts at the first failure and disables after 5 days', () => {
    expect(FAILING_LIMIT_MS).toBe(5 * 24 * H);
    expect(failingAfter(null, now)).toEqual({ failingSince: now, disable: false });
    const since = new Date(now.getTime() - FAILING_LIMIT_MS + 1);
    expect(failingAfter(since, now)).toEqual({ failingSince: since, disable: false });
    const old = new Date(now.getTime() - FAILING_LIMIT_MS);
    expect(failingAfter(old, now)).toEqual({ failingSince: old, disable: true });
  });
});

describe('what is kept and sent', () => {
  it('keeps the first 1 KB of a body, never splitting a character', () => {
    expect(BODY_KEPT_BYTES).toBe(1024);
    expect(keptBody(Buffer.from('short'))).toBe('short');
    expect(keptBody(Buffer.from('a'.repeat(1024)))).toBe('a'.repeat(1024));
    expect(keptBody(Buffer.from('a'.repeat(2000)))).toBe('a'.repeat(1024));
    // 1023 ASCII bytes then a 3-byte character across the limit: the character is dropped whole.
    expect(keptBody(Buffer.from(`${'a'.repeat(1023)}€b`))).toBe('a'.repeat(1023));
    expect(keptBody(Buffer.from(`${'a'.repeat(1021)}€b`))).toBe(`${'a'.repeat(1021)}€`);
  });

  it('names socket errors', () => {
    expect(errorName('ECONNREFUSED')).toBe('connection refused');
    for (const c of ['ECONNRESET', 'EPIPE', 'ECONNABORTED']) expect(errorName(c)).toBe('connection reset');
    expect(errorName('ETIMEDOUT')).toBe('timeout');
    for (const c of ['ENOTFOUND', 'EAI_AGAIN']) expect(errorName(c)).toBe('dns failure');
    for (const c of ['EHOSTUNREACH', 'ENETUNREACH']) expect(errorName(c)).toBe('unreachable');
    expect(errorName(undefined)).toBe('connection failed');
  });

  it('sends the row, or a reference to it when the body would pass 256 KB', () => {
    const row = { id: 'a1', kind: 'agent.created', createdAt: '2026-12-01T09:00:00.000Z', summary: 'x' };
    expect(payloadOf(row, '/api/v1/activity/a1')).toEqual({ type: 'agent.created', timestamp: row.createdAt, data: row });
    expect(MAX_PAYLOAD_BYTES).toBe(256 * 1024);
    const envelope = JSON.stringify({ type: row.kind, timestamp: row.createdAt, data: { ...row, summary: '' } }).length;
    const fits = { ...row, summary: 'x'.repeat(MAX_PAYLOAD_BYTES - envelope) };
    expect(payloadOf(fits, '/u').data).toBe(fits);
    const big = { ...row, summary: 'x'.repeat(MAX_PAYLOAD_BYTES - envelope + 1) };
    expect(payloadOf(big, '/api/v1/activity/a1')).toEqual({
      type: 'agent.created',
      timestamp: row.createdAt,
      data: { id: 'a1', kind: 'agent.created', url: '/api/v1/activity/a1' },
    });
  });

  it('signs with the previous secret too while its window lasts', () => {
    const later = new Date(now.getTime() + 1);
    expect(signingSecrets('new', 'old', later, now)).toEqual(['new', 'old']);
    expect(signingSecrets('new', 'old', now, now)).toEqual(['new']);
    expect(signingSecrets('new', 'old', null, now)).toEqual(['new']);
    expect(signingSecrets('new', null, later, now)).toEqual(['new']);
  });

  it('writes the webhook.disabled row as the system, org-wide, saying why', () => {
    const endpoint = { id: 'e1', orgId: 'o1', url: 'https://hooks.example.com/x', description: '' };
    expect(disabledActivity(endpoint, 'gone')).toEqual({
      kind: 'webhook.disabled',
      actor: { type: 'system', id: null, name: 'system' },
      subject: { type: 'webhook', id: 'e1', name: 'hooks.example.com' },
      orgId: 'o1',
      workspaceId: null,
      summary: 'Webhook "hooks.example.com" was disabled because it answered 410 Gone',
      details: { reason: 'gone' },
    });
    expect(disabledActivity({ ...endpoint, description: 'CI' }, 'failing').summary).toBe(
      'Webhook "CI" was disabled because its deliveries failed for 5 days',
    );
  });
});
