import { ApiError } from '../errors.js';

/** The most agents a session may hold, as when it is created. */
export const MAX_PARTICIPANTS = 20;

/** Adding: not already there (409), and within the cap (409). */
export function checkCanAdd(participants: string[], agentId: string, slug: string): void {
  if (participants.includes(agentId)) throw new ApiError('CONFLICT', `Agent ${slug} already takes part in this session`);
  if (participants.length >= MAX_PARTICIPANTS) throw new ApiError('CONFLICT', `A session has at most ${MAX_PARTICIPANTS} agents`);
}

/** Removing: a participant (404 otherwise), and never the last one: chat needs an agent to answer (409). */
export function checkCanRemove(participants: string[], agentId: string | undefined, ref: string): string {
  if (agentId === undefined || !participants.includes(agentId))
    throw new ApiError('NOT_FOUND', `Agent ${ref} does not take part in this session`);
  if (participants.length <= 1) throw new ApiError('CONFLICT', 'A session needs at least one agent: add another before removing this one');
  return agentId;
}
