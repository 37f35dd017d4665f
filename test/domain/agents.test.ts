import { describe, expect, it } from 'vitest';
import { ALA_SLUG, agentSettings, alaPatch, checkDeletable, checkedSlug } from '../../server/domain/agents.js';
import { DEFAULT_VOICE } from '../../server/domain/voice.js';
import { asData, thrown } from './thrown.js';

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('checkedSlug', () => {
  it('returns an ordinary slug as given', () => {
    for (const s of ['research', 'alan', 'ala-2', 'a', `${UUID}-x`]) expect(checkedSlug(s)).toBe(s);
  });

  it('refuses a UUID-shaped slug, in any case, with a 422 on body.slug', () => {
    for (const s of [UUID, UUID.toUpperCase()]) {
      expect(asData(thrown(() => checkedSlug(s)))).toEqual({
        status: 422,
        code: 'VALIDATION_ERROR',
        message: 'A slug may not be shaped like a UUID',
        details: [{ path: 'body.slug', message: 'must not be shaped like a UUID' }],
      });
    }
  });

  it("refuses Ala's slug with a 409", () => {
    expect(ALA_SLUG).toBe('ala');
    expect(asData(thrown(() => checkedSlug('ala')))).toEqual({
      status: 409,
      code: 'CONFLICT',
      message: 'The slug ala belongs to the default agent Ala',
      details: undefined,
    });
  });
});

describe('alaPatch', () => {
  it('drops a slug silently and keeps every other field', () => {
    const out = alaPatch({ slug: 'renamed', name: 'Ala', description: 'd', isActive: true, model: 'm1' }, 'm1');
    expect(out).toEqual({ name: 'Ala', description: 'd', isActive: true, model: 'm1' });
    expect('slug' in out).toBe(false);
    expect(alaPatch({ systemPrompt: null }, 'm1')).toEqual({ systemPrompt: null });
  });

  it('refuses deactivating Ala', () => {
    expect(asData(thrown(() => alaPatch({ isActive: false }, 'm1')))).toEqual({
      status: 403,
      code: 'FORBIDDEN',
      message: 'Ala cannot be deactivated',
      details: undefined,
    });
  });

  it('refuses any model but its locked one', () => {
    expect(asData(thrown(() => alaPatch({ model: 'm2' }, 'm1')))).toEqual({
      status: 403,
      code: 'FORBIDDEN',
      message: "Ala's model is locked to m1",
      details: undefined,
    });
    expect(alaPatch({ model: 'm1' }, 'm1')).toEqual({ model: 'm1' });
  });
});

describe('checkDeletable', () => {
  it('refuses deleting Ala and lets any other agent go', () => {
    expect(asData(thrown(() => checkDeletable({ isDefault: true })))).toEqual({
      status: 403,
      code: 'FORBIDDEN',
      message: 'Ala, the default agent, cannot be deleted',
      details: undefined,
    });
    expect(() => checkDeletable({ isDefault: false })).not.toThrow();
  });
});

describe('agentSettings', () => {
  it('keeps other keys as sent and normalizes the voice, filling it when absent', () => {
    expect(agentSettings({ temperature: 0.4, nested: { a: [1] } })).toEqual({ temperature: 0.4, nested: { a: [1] }, voice: DEFAULT_VOICE });
    expect(agentSettings({ voice: { provider: 'ElevenLabs', language: 'en-gb' } })).toEqual({
      voice: { ...DEFAULT_VOICE, provider: 'elevenlabs', language: 'en-GB' },
    });
  });

  it('refuses a bad voice with details under body.settings.voice', () => {
    expect(thrown(() => agentSettings({ voice: { speed: 9 } })).details).toEqual([
      { path: 'body.settings.voice.speed', message: 'must be between 0.25 and 4' },
    ]);
  });

  it('applies the metadata limits on body.settings', () => {
    expect(thrown(() => agentSettings({ big: 'x'.repeat(32 * 1024) })).details).toEqual([
      { path: 'body.settings', message: 'must be at most 32768 bytes as JSON' },
    ]);
    const deep: Record<string, unknown> = { a: { a: { a: { a: { a: { a: { a: {} } } } } } } };
    expect(agentSettings(deep).a).toEqual(deep.a);
    expect(thrown(() => agentSettings({ a: deep })).details).toEqual([{ path: 'body.settings', message: 'must nest at most 8 levels' }]);
  });
});
