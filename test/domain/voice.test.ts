import { describe, expect, it } from 'vitest';
import { DEFAULT_VOICE, normalizeVoice } from '../../server/domain/voice.js';
import { asData, thrown } from './thrown.js';

const P = 'body.settings.voice';
const ok = (input: Parameters<typeof normalizeVoice>[0]) => normalizeVoice(input, P);
/** The details of the refusal of `input`. */
const problems = (input: Parameters<typeof normalizeVoice>[0]) => thrown(() => normalizeVoice(input, P)).details;

describe('normalizeVoice: defaults', () => {
  it('fills every field from the default profile', () => {
    expect(DEFAULT_VOICE).toEqual({ provider: 'openai', voiceId: 'alloy', language: 'en-US', speed: 1, pitch: 0 });
    expect(ok(undefined)).toEqual(DEFAULT_VOICE);
    expect(ok({})).toEqual(DEFAULT_VOICE);
    expect(ok({ speed: 2 })).toEqual({ ...DEFAULT_VOICE, speed: 2 });
    expect(ok({ pitch: -3 })).toEqual({ ...DEFAULT_VOICE, pitch: -3 });
  });

  it('returns a full profile with exactly the documented keys', () => {
    const v = ok({ provider: 'Azure', voiceId: ' x ', language: 'de', speed: 0.5, pitch: 7 });
    expect(v).toEqual({ provider: 'azure', voiceId: 'x', language: 'de', speed: 0.5, pitch: 7 });
    expect(Object.keys(v).sort()).toEqual(['language', 'pitch', 'provider', 'speed', 'voiceId']);
  });
});

describe('normalizeVoice: provider', () => {
  it('accepts the four providers in any case and with surrounding spaces, stored lowercase', () => {
    for (const p of ['openai', 'elevenlabs', 'azure', 'google']) expect(ok({ provider: p }).provider).toBe(p);
    expect(ok({ provider: ' ElevenLabs ' }).provider).toBe('elevenlabs');
    expect(ok({ provider: 'GOOGLE' }).provider).toBe('google');
  });

  it('refuses any other provider', () => {
    for (const p of ['aws', '', ' ', 'open ai', 'openai2']) {
      expect(problems({ provider: p }), p).toEqual([
        { path: `${P}.provider`, message: 'must be one of openai, elevenlabs, azure, google' },
      ]);
    }
  });
});

describe('normalizeVoice: voiceId', () => {
  it('trims and accepts 1 to 128 characters', () => {
    expect(ok({ voiceId: '  rachel ' }).voiceId).toBe('rachel');
    expect(ok({ voiceId: 'a' }).voiceId).toBe('a');
    expect(ok({ voiceId: ' a ' }).voiceId).toBe('a');
    expect(ok({ voiceId: 'v'.repeat(128) }).voiceId).toBe('v'.repeat(128));
    expect(ok({ voiceId: ` ${'v'.repeat(128)} ` }).voiceId).toBe('v'.repeat(128));
  });

  it('refuses an empty id (after trimming) and one of 129 characters', () => {
    const detail = [{ path: `${P}.voiceId`, message: 'must be 1 to 128 characters after trimming' }];
    expect(problems({ voiceId: '' })).toEqual(detail);
    expect(problems({ voiceId: '   ' })).toEqual(detail);
    expect(problems({ voiceId: 'v'.repeat(129) })).toEqual(detail);
  });
});

describe('normalizeVoice: language', () => {
  it('puts tags in canonical case', () => {
    const cases: Record<string, string> = {
      en: 'en',
      EN: 'en',
      fil: 'fil',
      FIL: 'fil',
      'en-us': 'en-US',
      'EN-gb': 'en-GB',
      pt_br: 'pt-BR',
      'pt-BR': 'pt-BR',
      ' en-gb ': 'en-GB',
      'es-419': 'es-419',
      es_419: 'es-419',
      'yue-HK': 'yue-HK',
    };
    for (const [input, want] of Object.entries(cases)) expect(ok({ language: input }).language, input).toBe(want);
  });

  it('refuses anything that is not language[-region]', () => {
    for (const bad of [
      'english',
      'e',
      '',
      'en-',
      'en-u',
      'en-USA',
      'en-41',
      'en-4190',
      'en-U1',
      '1en',
      'en-US-x',
      'engl-US',
      'en-USx',
      'en US',
      'e1',
    ]) {
      expect(problems({ language: bad }), bad).toEqual([{ path: `${P}.language`, message: 'must be a language tag such as en or en-US' }]);
    }
  });

  it('refuses a four-letter language subtag (`engl`)', () => {
    expect(problems({ language: 'engl' })?.[0]?.path).toBe(`${P}.language`);
  });
});

describe('normalizeVoice: ranges', () => {
  it('accepts speed 0.25 to 4 inclusive', () => {
    for (const speed of [0.25, 1, 2.5, 4]) expect(ok({ speed }).speed).toBe(speed);
  });

  it('refuses speed just outside the range, and NaN', () => {
    const detail = [{ path: `${P}.speed`, message: 'must be between 0.25 and 4' }];
    for (const speed of [0.24, 0.2499, 4.01, 4.0001, 0, -1, Number.NaN]) expect(problems({ speed }), String(speed)).toEqual(detail);
  });

  it('accepts pitch -12 to 12 inclusive', () => {
    for (const pitch of [-12, -0.5, 0, 12]) expect(ok({ pitch }).pitch).toBe(pitch);
  });

  it('refuses pitch just outside the range, and NaN', () => {
    const detail = [{ path: `${P}.pitch`, message: 'must be between -12 and 12' }];
    for (const pitch of [-12.01, 12.01, -13, 13, Number.NaN]) expect(problems({ pitch }), String(pitch)).toEqual(detail);
  });
});

describe('normalizeVoice: the refusal', () => {
  it('is one 422 listing every problem, in field order, with a message that names them all', () => {
    const err = thrown(() => normalizeVoice({ provider: 'aws', voiceId: '', language: 'english', speed: 5, pitch: 13 }, 'v'));
    expect(asData(err)).toEqual({
      status: 422,
      code: 'VALIDATION_ERROR',
      message:
        'v.provider must be one of openai, elevenlabs, azure, google; v.voiceId must be 1 to 128 characters after trimming; ' +
        'v.language must be a language tag such as en or en-US; v.speed must be between 0.25 and 4; v.pitch must be between -12 and 12',
      details: [
        { path: 'v.provider', message: 'must be one of openai, elevenlabs, azure, google' },
        { path: 'v.voiceId', message: 'must be 1 to 128 characters after trimming' },
        { path: 'v.language', message: 'must be a language tag such as en or en-US' },
        { path: 'v.speed', message: 'must be between 0.25 and 4' },
        { path: 'v.pitch', message: 'must be between -12 and 12' },
      ],
    });
  });

  it('with one problem, the message is that problem alone', () => {
    expect(thrown(() => normalizeVoice({ speed: 0.1 }, 'x')).message).toBe('x.speed must be between 0.25 and 4');
  });
});
