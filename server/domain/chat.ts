import { ApiError } from '../errors.js';
import type { ChatTurn } from '../providers/types.js';
import { byRef } from './slugs.js';

/** Tokens of text as the server estimates them (for context windows, and usage a stream never reported). */
export const CHARS_PER_TOKEN = 4;
/** What each message costs beyond its text: role and framing. */
export const TOKENS_PER_MESSAGE = 4;
/** The answer's share of the window, kept free: a quarter of it, at most this many tokens. */
export const MAX_ANSWER_RESERVE = 4_096;
/** The most messages read back to fill a context window. */
export const HISTORY_LIMIT = 1_000;

export const estimateTokens = (turns: ReadonlyArray<{ content: string }>) =>
  turns.reduce((sum, t) => sum + Math.ceil(t.content.length / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE, 0);

export interface Participant {
  id: string;
  slug: string;
  name: string;
  isActive: boolean;
  allowedPeerIds: string[];
}

const inSession = (participants: Participant[], ref: string, field: string): Participant => {
  const key = byRef(ref);
  const found = participants.find((p) => ('id' in key ? p.id === key.id : p.slug === key.slug));
  if (!found) {
    throw new ApiError('BAD_REQUEST', `Agent ${ref} does not participate in this session`, [
      { path: `body.${field}`, message: 'must be a live agent participating in the session' },
    ]);
  }
  return found;
};

/**
 * Who writes and who answers. The author is the calling user, or with `fromAgentId` a participating agent
 * writing in a peer session to one of its peers. The answerer is `agentId`, or the only live participant
 * other than the author.
 */
export function chatParties(
  participants: Participant[],
  request: { agentId?: string; fromAgentId?: string },
  isPeerSession: boolean,
): { author: Participant | null; answerer: Participant } {
  const author = request.fromAgentId === undefined ? null : inSession(participants, request.fromAgentId, 'fromAgentId');
  let answerer: Participant;
  if (request.agentId !== undefined) {
    answerer = inSession(participants, request.agentId, 'agentId');
  } else {
    const candidates = participants.filter((p) => p.id !== author?.id);
    if (candidates.length !== 1) {
      throw new ApiError('BAD_REQUEST', 'This session has several agents: name the one that answers in agentId', [
        { path: 'body.agentId', message: 'required when more than one agent could answer' },
      ]);
    }
    answerer = candidates[0]!;
  }
  if (author?.id === answerer.id) {
    throw new ApiError('BAD_REQUEST', `Agent ${author.slug} cannot answer its own message: name another agent in agentId`, [
      { path: 'body.agentId', message: 'must differ from fromAgentId' },
    ]);
  }
  if (!answerer.isActive) throw new ApiError('FORBIDDEN', `Agent ${answerer.slug} is inactive and cannot answer`);
  if (author) {
    if (!isPeerSession) throw new ApiError('FORBIDDEN', 'Agents write to each other only in peer sessions (metadata.relationship: peer)');
    if (!author.isActive) throw new ApiError('FORBIDDEN', `Agent ${author.slug} is inactive and cannot post`);
    if (!author.allowedPeerIds.includes(answerer.id)) {
      throw new ApiError('FORBIDDEN', `Agent ${author.slug} may not message ${answerer.slug}: it is not in its allowedPeers`);
    }
  }
  return { author, answerer };
}

export interface HistoryMessage {
  agentId: string | null;
  authorName: string;
  content: string;
}

/**
 * The turns sent to the model: the system prompt, then as much history as fits (newest kept first, sent
 * oldest first), then the new message. The answering agent's own messages are `assistant` turns; everyone
 * else's are `user` turns opening with the author's name. `history` is newest first.
 */
export function buildPrompt(input: {
  systemPrompt: string | null;
  answererId: string;
  history: HistoryMessage[];
  incoming: HistoryMessage;
  contextWindow: number;
}): ChatTurn[] {
  const turn = (m: HistoryMessage): ChatTurn =>
    m.agentId === input.answererId ? { role: 'assistant', content: m.content } : { role: 'user', content: `${m.authorName}: ${m.content}` };
  const system: ChatTurn[] = input.systemPrompt ? [{ role: 'system', content: input.systemPrompt }] : [];
  const last = turn(input.incoming);
  let budget = input.contextWindow - Math.min(MAX_ANSWER_RESERVE, Math.floor(input.contextWindow / 4)) - estimateTokens([...system, last]);
  if (budget < 0) {
    throw new ApiError('VALIDATION_ERROR', "The message and the agent's system prompt do not fit the model's context window", [
      {
        path: 'body.content',
        message: `must fit ${input.contextWindow} tokens of context with the system prompt, at ${CHARS_PER_TOKEN} characters a token`,
      },
    ]);
  }
  const kept: ChatTurn[] = [];
  for (const m of input.history) {
    const t = turn(m);
    budget -= estimateTokens([t]);
    if (budget < 0) break;
    kept.push(t);
  }
  return [...system, ...kept.reverse(), last];
}

export interface Prices {
  inputCreditMicroPerMTok: number;
  outputCreditMicroPerMTok: number;
}

export const isPaid = (p: Prices) => p.inputCreditMicroPerMTok > 0 || p.outputCreditMicroPerMTok > 0;

/** What a reply costs in creditMicro: list price per million tokens, rounded up to a whole creditMicro. */
export function replyCost(usage: { inputTokens: number; outputTokens: number }, p: Prices): bigint {
  const micro =
    BigInt(usage.inputTokens) * BigInt(p.inputCreditMicroPerMTok) + BigInt(usage.outputTokens) * BigInt(p.outputCreditMicroPerMTok);
  return (micro + 999_999n) / 1_000_000n;
}

/**
 * A Retry-After value (seconds, or an HTTP date) as whole seconds from `now`, at least 1 and at most an
 * hour; undefined when absent or unreadable.
 */
export function retryAfterSeconds(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const asNumber = Number(trimmed);
  const seconds = trimmed !== '' && !Number.isNaN(asNumber) ? asNumber : (Date.parse(trimmed) - now) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(3_600, Math.max(1, Math.ceil(seconds)));
}
