import { describe, expect, it } from 'vitest';
import {
  checkExpiry,
  hashShareToken,
  linkIsLive,
  mintShareToken,
  shareLinkActivity,
  sharedBlock,
} from '../../server/domain/share-links.js';
import { thrown } from './thrown.js';

const now = new Date('2026-12-01T00:00:00.000Z');

describe('share link rules', () => {
  it('mints 32 random bytes as base64url and hashes them with SHA-256 hex', () => {
    const a = mintShareToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mintShareToken()).not.toBe(a);
    expect(hashShareToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('an expiry is null when absent and must lie in the future', () => {
    expect(checkExpiry(undefined, now)).toBeNull();
    expect(checkExpiry(null, now)).toBeNull();
    expect(checkExpiry('2026-12-01T00:00:01.000Z', now)).toEqual(new Date('2026-12-01T00:00:01.000Z'));
    const err = thrown(() => checkExpiry('2026-12-01T00:00:00.000Z', now));
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'body.expiresAt', message: 'must be in the future' }] });
  });

  it('a link is live unless revoked or past its expiry', () => {
    expect(linkIsLive({ revokedAt: null, expiresAt: null }, now)).toBe(true);
    expect(linkIsLive({ revokedAt: now, expiresAt: null }, now)).toBe(false);
    expect(linkIsLive({ revokedAt: null, expiresAt: new Date(now.getTime() + 1) }, now)).toBe(true);
    expect(linkIsLive({ revokedAt: null, expiresAt: now }, now)).toBe(false);
  });

  it('agent and session blocks are shared without content; others as they are', () => {
    expect(sharedBlock('agent', { agentId: 'x' })).toEqual({ type: 'agent', content: {} });
    expect(sharedBlock('session', { sessionId: 'x' })).toEqual({ type: 'session', content: {} });
    expect(sharedBlock('text', { text: 'hi' })).toEqual({ type: 'text', content: { text: 'hi' } });
  });

  it('writes a project.updated row naming the change, never the token', () => {
    const entry = shareLinkActivity(
      'revoked',
      { type: 'user', id: 'u', name: 'Ada' },
      { id: 'p', orgId: 'o', workspaceId: 'w', name: 'Plan' },
      'l',
    );
    expect(entry).toEqual({
      kind: 'project.updated',
      actor: { type: 'user', id: 'u', name: 'Ada' },
      subject: { type: 'project', id: 'p', name: 'Plan' },
      orgId: 'o',
      workspaceId: 'w',
      projectId: 'p',
      summary: 'A share link of project "Plan" was revoked by Ada',
      details: { shareLinkId: 'l', change: 'share_link.revoked' },
    });
  });
});
