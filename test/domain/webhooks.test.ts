import { describe, expect, it } from 'vitest';
import { ACTIVITY_KINDS } from '../../server/domain/activity.js';
import {
  abandonedState,
  checkEvents,
  DELIVERY_LOG_MS,
  enablement,
  filtersMatch,
  isKnownFilter,
  logWindowStart,
  mintWebhookSecret,
  requireRetryable,
  retryState,
  ROTATION_OVERLAP_MS,
  rotation,
  webhookActivity,
  webhookName,
} from '../../server/domain/webhooks.js';
import { asData, thrown } from './thrown.js';

const now = new Date('2026-12-01T00:00:00.000Z');
const actor = { type: 'user' as const, id: 'u', name: 'Ada' };
const endpoint = { id: 'w', orgId: 'o', url: 'https://hooks.example.com:8443/in?x=1', description: '' };

describe('webhook rules', () => {
  it('mints whsec_ and the base64 of 32 random bytes', () => {
    const a = mintWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(mintWebhookSecret()).not.toBe(a);
  });

  it('knows *, every kind and every kind prefix with .*, and nothing else', () => {
    expect(isKnownFilter('*')).toBe(true);
    for (const kind of ACTIVITY_KINDS) {
      expect(isKnownFilter(kind), kind).toBe(true);
      expect(isKnownFilter(`${kind.split('.')[0]}.*`), kind).toBe(true);
    }
    for (const f of ['agent.exploded', 'nothing.*', 'agent', 'agent.', '.*', '**', 'agent.**', 'created', 'webhook.created.*']) {
      expect(isKnownFilter(f), f).toBe(false);
    }
  });

  it('checkEvents returns known filters as given and refuses unknown ones with their positions', () => {
    expect(checkEvents(['agent.*', 'session.created', '*'])).toEqual(['agent.*', 'session.created', '*']);
    expect(asData(thrown(() => checkEvents(['agent.created', 'agent.exploded', 'x.*'])))).toEqual({
      status: 422,
      code: 'VALIDATION_ERROR',
      message: 'Unknown event filter "agent.exploded", "x.*"; use an activity kind, "<prefix>.*" or "*"',
      details: [
        { path: 'body.events.1', message: 'is not an activity kind, a kind prefix with .*, or *' },
        { path: 'body.events.2', message: 'is not an activity kind, a kind prefix with .*, or *' },
      ],
    });
  });

  it('a filter matches its exact kind, its prefix, or everything with *', () => {
    expect(filtersMatch(['agent.created'], 'agent.created')).toBe(true);
    expect(filtersMatch(['agent.created'], 'agent.updated')).toBe(false);
    expect(filtersMatch(['agent.*'], 'agent.deleted')).toBe(true);
    expect(filtersMatch(['agent.*'], 'session.created')).toBe(false);
    expect(filtersMatch(['session.*'], 'agent.created')).toBe(false);
    expect(filtersMatch(['*'], 'webhook.disabled')).toBe(true);
    expect(filtersMatch(['session.created', 'agent.*'], 'agent.updated')).toBe(true);
    expect(filtersMatch([], 'agent.created')).toBe(false);
    // A prefix is the whole first part, not the start of it.
    expect(filtersMatch(['age.*'], 'agent.created')).toBe(false);
  });

  it('disabling by hand says manual and when; an endpoint already disabled keeps its reason; enabling clears all', () => {
    expect(enablement({ enabled: true }, false, now)).toEqual({ enabled: false, disabledReason: 'manual', disabledAt: now });
    expect(enablement({ enabled: false }, false, now)).toBeUndefined();
    const on = { enabled: true, disabledReason: null, disabledAt: null, failingSince: null };
    expect(enablement({ enabled: false }, true, now)).toEqual(on);
    expect(enablement({ enabled: true }, true, now)).toEqual(on);
  });

  it('a rotation seals the new secret, keeps the old one for 24 hours, and stamps the time', () => {
    expect(ROTATION_OVERLAP_MS).toBe(86_400_000);
    expect(rotation('new', 'old', now)).toEqual({
      secret: 'new',
      previousSecret: 'old',
      previousSecretExpiresAt: new Date('2026-12-02T00:00:00.000Z'),
      secretRotatedAt: now,
      updatedAt: now,
    });
  });

  it('a retry needs an enabled endpoint, and makes the delivery pending, due now and off the queue', () => {
    expect(() => requireRetryable({ enabled: true })).not.toThrow();
    expect(asData(thrown(() => requireRetryable({ enabled: false })))).toEqual({
      status: 409,
      code: 'CONFLICT',
      message: 'The webhook endpoint is disabled; enable it before retrying a delivery',
      details: undefined,
    });
    expect(retryState(now)).toEqual({ status: 'pending', nextAttemptAt: now, queuedAt: null, updatedAt: now });
    expect(abandonedState(now)).toEqual({ status: 'failed', nextAttemptAt: null, updatedAt: now });
  });

  it('the log reaches back 30 days', () => {
    expect(DELIVERY_LOG_MS).toBe(30 * 86_400_000);
    expect(logWindowStart(now)).toEqual(new Date('2026-11-01T00:00:00.000Z'));
  });

  it('names an endpoint by its description, else its host', () => {
    expect(webhookName({ url: endpoint.url, description: '  Ticket sync ' })).toBe('Ticket sync');
    expect(webhookName({ url: endpoint.url, description: '   ' })).toBe('hooks.example.com:8443');
    expect(webhookName({ url: 'not a url', description: '' })).toBe('not a url');
  });

  it('writes org-wide rows naming the change, an update its fields only, never a secret', () => {
    expect(webhookActivity('created', actor, endpoint, 'u')).toEqual({
      kind: 'webhook.created',
      actor,
      subject: { type: 'webhook', id: 'w', name: 'hooks.example.com:8443' },
      orgId: 'o',
      workspaceId: null,
      privateToUserId: 'u',
      summary: 'Webhook "hooks.example.com:8443" was created by Ada',
      details: null,
    });
    expect(webhookActivity('updated', actor, { ...endpoint, description: 'Sync' }, 'u', ['enabled', 'url'])).toMatchObject({
      kind: 'webhook.updated',
      summary: 'Webhook "Sync" was updated (enabled, url) by Ada',
      details: { fields: ['enabled', 'url'] },
    });
    expect(webhookActivity('updated', actor, endpoint, 'u').summary).toBe('Webhook "hooks.example.com:8443" was updated by Ada');
    expect(webhookActivity('deleted', { type: 'api_key', id: 'k', name: 'ci' }, endpoint, 'u2')).toMatchObject({
      kind: 'webhook.deleted',
      privateToUserId: 'u2',
      summary: 'Webhook "hooks.example.com:8443" was deleted by key "ci"',
      details: null,
    });
    expect(webhookActivity('secret_rotated', actor, endpoint, 'u')).toMatchObject({
      kind: 'webhook.secret_rotated',
      summary: 'Webhook "hooks.example.com:8443" was given a new signing secret by Ada',
      details: null,
    });
  });
});
