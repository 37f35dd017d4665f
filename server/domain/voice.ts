import type { VoiceProfile, VoiceProfileInput } from '../../generated/sdk/types.gen.js';
import { ApiError, type ErrorDetail } from '../errors.js';

const PROVIDERS = ['openai', 'elevenlabs', 'azure', 'google'] as const;
export const DEFAULT_VOICE: VoiceProfile = { provider: 'openai', voiceId: 'alloy', language: 'en-US', speed: 1, pitch: 0 };
const LANGUAGE_TAG = /^([a-z]{2,3})(?:[-_]([a-z]{2}|[0-9]{3}))?$/i;

/**
 * Trims, canonicalizes case and fills defaults; rejects (422) anything outside the documented sets and
 * ranges rather than clamping it, so a client never gets a voice it did not ask for.
 */
export function normalizeVoice(input: VoiceProfileInput | undefined, path: string): VoiceProfile {
  const v = input ?? {};
  const problems: ErrorDetail[] = [];
  const provider = v.provider === undefined ? DEFAULT_VOICE.provider : v.provider.trim().toLowerCase();
  if (!(PROVIDERS as readonly string[]).includes(provider)) {
    problems.push({ path: `${path}.provider`, message: `must be one of ${PROVIDERS.join(', ')}` });
  }
  const voiceId = v.voiceId === undefined ? DEFAULT_VOICE.voiceId : v.voiceId.trim();
  if (voiceId.length < 1 || voiceId.length > 128)
    problems.push({ path: `${path}.voiceId`, message: 'must be 1 to 128 characters after trimming' });
  let language = DEFAULT_VOICE.language;
  if (v.language !== undefined) {
    const m = LANGUAGE_TAG.exec(v.language.trim());
    if (m) language = m[2] ? `${m[1]!.toLowerCase()}-${m[2].toUpperCase()}` : m[1]!.toLowerCase();
    else problems.push({ path: `${path}.language`, message: 'must be a language tag such as en or en-US' });
  }
  const speed = v.speed ?? DEFAULT_VOICE.speed;
  if (!(speed >= 0.25 && speed <= 4)) problems.push({ path: `${path}.speed`, message: 'must be between 0.25 and 4' });
  const pitch = v.pitch ?? DEFAULT_VOICE.pitch;
  if (!(pitch >= -12 && pitch <= 12)) problems.push({ path: `${path}.pitch`, message: 'must be between -12 and 12' });
  if (problems.length > 0) {
    throw new ApiError('VALIDATION_ERROR', problems.map((p) => `${p.path} ${p.message}`).join('; '), problems);
  }
  return { provider: provider as VoiceProfile['provider'], voiceId, language, speed, pitch };
}
