import type { AgentSettings, AgentSettingsInput, UpdateAgentRequest } from '../../generated/sdk/types.gen.js';
import { ApiError } from '../errors.js';
import { METADATA_LIMITS, checkJsonLimits } from './json-limits.js';
import { UUID_SHAPE } from './slugs.js';
import { normalizeVoice } from './voice.js';

/** The default agent's slug, which no other agent may take. */
export const ALA_SLUG = 'ala';

/** A slug a client asks for: never UUID-shaped (it would read as an id), never Ala's. */
export function checkedSlug(slug: string): string {
  if (UUID_SHAPE.test(slug)) {
    throw new ApiError('VALIDATION_ERROR', 'A slug may not be shaped like a UUID', [
      { path: 'body.slug', message: 'must not be shaped like a UUID' },
    ]);
  }
  if (slug === ALA_SLUG) throw new ApiError('CONFLICT', 'The slug ala belongs to the default agent Ala');
  return slug;
}

/**
 * What a PATCH of Ala may do: it stays active and on its locked model (403 otherwise), and a slug in the
 * body is dropped without a word, as the reference says. Returns the body to apply.
 */
export function alaPatch(body: UpdateAgentRequest, alaModel: string): UpdateAgentRequest {
  if (body.isActive === false) throw new ApiError('FORBIDDEN', 'Ala cannot be deactivated');
  if (body.model !== undefined && body.model !== alaModel) throw new ApiError('FORBIDDEN', `Ala's model is locked to ${alaModel}`);
  const rest = { ...body };
  delete rest.slug;
  return rest;
}

/** Ala is never deleted. */
export function checkDeletable(agent: { isDefault: boolean }): void {
  if (agent.isDefault) throw new ApiError('FORBIDDEN', 'Ala, the default agent, cannot be deleted');
}

/** Settings as stored: within the metadata limits, with the voice profile normalized. */
export function agentSettings(input: AgentSettingsInput): AgentSettings {
  checkJsonLimits(input, METADATA_LIMITS, 'body.settings');
  return { ...input, voice: normalizeVoice(input.voice, 'body.settings.voice') };
}
