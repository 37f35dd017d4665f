import { randomUUID } from 'node:crypto';
import type { ChatRequest, ChatResult, ChatStreamEvent, Message } from '../../generated/sdk/types.gen.js';
import type { Logger } from '../logger.js';
import type { Sql } from '../db/database.js';
import { buildPrompt, CHARS_PER_TOKEN, chatParties, estimateTokens, isPaid, replyCost, type Participant } from '../domain/chat.js';
import { messageActivity, replyActivity } from '../domain/sessions.js';
import { ApiError, notFound } from '../errors.js';
import { ProviderError, type ChatTurn, type Provider, type Providers } from '../providers/index.js';
import { withTimeouts, type StreamTimeouts } from '../providers/timeouts.js';
import { actorOf, type ActivityLog, type Actor } from './activity.js';
import type { Caller } from './caller.js';
import { readChatContext, writeMessage, writeMessageAndReply, writeReply, type MessageInsert, type ReplyInsert } from './chat-sql.js';
import type { CatalogEntry, ModelCatalog } from './models.js';
import { toMessage } from './sessions.js';

/** Retry-After for a provider failure that did not say when to retry. */
const DEFAULT_RETRY_AFTER_S = 5;

/** Everything a chat needs once every refusal that can be known before calling the model has passed. */
export interface PreparedChat {
  caller: Caller;
  sessionId: string;
  /** What the activity rows name of the session, read with everything else. */
  session: { id: string; orgId: string; workspaceId: string | null; projectId: string | null; title: string | null };
  author: Participant | null;
  answerer: Participant;
  model: CatalogEntry;
  provider: Provider;
  turns: ChatTurn[];
  content: string;
  /** Set when something other than the caller wrote the message (a trigger): it names the message, not the user. */
  origin: Actor | null;
}

/** How the model's answer ended. */
interface Generation {
  text: string;
  usage: { inputTokens: number; outputTokens: number } | undefined;
  failure: ProviderError | undefined;
}

/**
 * Chat: an agent of the session answers a message through its model. Nothing is stored until every
 * refusal has passed; the reply and its debit are stored in one transaction.
 */
export class ChatStore {
  constructor(
    private readonly sql: Sql,
    private readonly models: ModelCatalog,
    private readonly providers: Providers,
    private readonly timeouts: StreamTimeouts,
    private readonly activity: ActivityLog,
    private readonly logger?: Logger,
  ) {}

  /** `origin`: the message's writer when it is not the caller itself (a trigger acting for its creator). */
  async prepare(caller: Caller, sessionId: string, body: ChatRequest, origin: Actor | null = null): Promise<PreparedChat> {
    const context = await readChatContext(this.sql, caller, sessionId);
    if (!context) throw notFound('Session');
    const participants = context.participants;
    const { author, answerer } = chatParties(participants, body, context.metadata.relationship === 'peer');
    const agent = participants.find((p) => p.id === answerer.id)!;
    const { model, provider } = this.modelFor(agent, BigInt(context.balance));
    const turns = buildPrompt({
      systemPrompt: agent.systemPrompt,
      answererId: agent.id,
      history: context.history,
      incoming: { agentId: author?.id ?? null, authorName: author?.name ?? origin?.name ?? context.userName ?? 'User', content: body.content },
      contextWindow: model.contextWindow,
    });
    const session = { id: context.id, orgId: context.orgId, workspaceId: context.workspaceId, projectId: context.projectId, title: context.title };
    return { caller, sessionId, session, author, answerer, model, provider, turns, content: body.content, origin };
  }

  /** What an agent answers with, or what a chat with it is refused with: 409, 503 or 402 (`balanceMicro`: the org's). */
  modelFor(agent: { slug: string; model: string }, balanceMicro: bigint): { model: CatalogEntry; provider: Provider } {
    if (!this.models.has(agent.model)) {
      // Its model came from a providers file that no longer lists it: the agent must be moved to another.
      throw new ApiError('CONFLICT', `Agent ${agent.slug} runs on model ${agent.model}, which this server's catalog no longer has; change the agent's model`);
    }
    const model = this.models.entry(agent.model);
    const provider = this.providers.get(model.provider, model.id);
    if (isPaid(model) && balanceMicro <= 0n) {
      throw new ApiError('PAYMENT_REQUIRED', `Model ${model.id} is paid and this organization has no credits left; add credits to continue`);
    }
    return { model, provider };
  }

  /** Without streaming: the model answers first, then the message and the reply are stored together. */
  async complete(chat: PreparedChat, signal: AbortSignal): Promise<ChatResult> {
    const generation = this.generate(chat, signal);
    let step = await generation.next();
    while (!step.done) step = await generation.next();
    const answer = step.value;
    if (answer.failure) throw toApiError(answer.failure);
    if (signal.aborted) throw new ApiError('SERVICE_UNAVAILABLE', 'The request was cancelled before the model answered');
    const incoming = this.incoming(chat);
    const reply = this.reply(chat, answer, 'complete');
    const entries = { message: this.messageEntry(chat, incoming), reply: this.replyEntry(chat, reply, incoming.id) };
    const [message, stored] = await writeMessageAndReply(this.sql, incoming, reply, new Date(), this.activity, entries);
    return { message: toMessage(message), reply: toMessage(stored) };
  }

  /**
   * Streaming: stores the message first (a failure here is still an ordinary error answer) and returns the
   * events: the message, the answer as it arrives, then the stored reply. The consumer must read them to
   * the end even after its client left: that is when the partial reply is stored.
   */
  async openStream(chat: PreparedChat, signal: AbortSignal): Promise<AsyncGenerator<ChatStreamEvent>> {
    const incoming = this.incoming(chat);
    const message = toMessage(await writeMessage(this.sql, incoming, new Date(), this.activity, this.messageEntry(chat, incoming)));
    return this.events(chat, message, signal);
  }

  private async *events(chat: PreparedChat, message: Message, signal: AbortSignal): AsyncGenerator<ChatStreamEvent> {
    yield { event: 'message', data: message };
    const generation = this.generate(chat, signal);
    let step = await generation.next();
    while (!step.done) {
      yield { event: 'delta', data: { text: step.value } };
      step = await generation.next();
    }
    const answer = step.value;
    const status = answer.failure?.kind === 'rejected' ? 'failed' : answer.failure || signal.aborted ? 'incomplete' : 'complete';
    let reply: Message;
    try {
      const stored = this.reply(chat, answer, status);
      const entry = this.replyEntry(chat, stored, message.id);
      reply = toMessage(await writeReply(this.sql, { orgId: chat.caller.orgId, sessionId: chat.sessionId }, stored, message.id, new Date(), this.activity, entry));
    } catch (err) {
      // The headers are long gone: the stream itself must say that the reply was not kept.
      this.logger?.error({ err, sessionId: chat.sessionId }, 'could not store a streamed reply');
      yield { event: 'error', data: { code: 'SERVICE_UNAVAILABLE', message: 'The reply could not be stored; the message was. Retry the chat.' } };
      yield { event: 'done', data: {} };
      return;
    }
    if (answer.failure) {
      const code = answer.failure.kind === 'rejected' ? 'VALIDATION_ERROR' : 'SERVICE_UNAVAILABLE';
      yield { event: 'error', data: { code, message: answer.failure.message } };
    } else {
      yield { event: 'reply', data: reply };
    }
    yield { event: 'done', data: {} };
  }

  /**
   * Runs the model, yielding its text as it comes, to the end, its failure, or until `signal` aborts; the
   * model's failures are returned, not thrown.
   */
  private async *generate(chat: PreparedChat, signal: AbortSignal): AsyncGenerator<string, Generation> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal.addEventListener('abort', abort, { once: true });
    const answer: Generation = { text: '', usage: undefined, failure: undefined };
    try {
      const events = chat.provider.stream({ model: chat.model.upstreamModel, messages: chat.turns, signal: controller.signal });
      for await (const event of withTimeouts(events, this.timeouts, chat.provider.id, abort)) {
        if (event.type === 'text') {
          answer.text += event.text;
          yield event.text;
        } else {
          answer.usage = { inputTokens: event.inputTokens, outputTokens: event.outputTokens };
        }
      }
    } catch (err) {
      if (err instanceof ProviderError) answer.failure = err;
      else if (!signal.aborted) answer.failure = new ProviderError('unavailable', `Provider ${chat.provider.id} failed`);
    } finally {
      signal.removeEventListener('abort', abort);
    }
    return answer;
  }

  private incoming(chat: PreparedChat): MessageInsert {
    const { caller, author } = chat;
    const userId = author || chat.origin ? null : caller.userId;
    return { id: randomUUID(), orgId: caller.orgId, sessionId: chat.sessionId, agentId: author?.id ?? null, userId, content: chat.content };
  }

  /** The user's (or author agent's) message of a chat is a posted message like any other. */
  private messageEntry(chat: PreparedChat, m: MessageInsert) {
    const authorName = chat.author?.name ?? chat.origin?.name ?? chat.caller.userName ?? chat.caller.keyName;
    return messageActivity(chat.origin ?? actorOf(chat.caller), chat.session, m, authorName);
  }

  private replyEntry(chat: PreparedChat, r: ReplyInsert, replyTo: string) {
    return replyActivity(chat.session, chat.answerer, { ...r, replyTo });
  }

  /** The reply and what it costs. Usage the provider did not report is estimated from what arrived. */
  private reply(chat: PreparedChat, answer: Generation, status: ReplyInsert['status']): ReplyInsert {
    const usage =
      answer.usage ??
      (answer.text
        ? { inputTokens: estimateTokens(chat.turns), outputTokens: Math.ceil(answer.text.length / CHARS_PER_TOKEN) }
        : { inputTokens: 0, outputTokens: 0 });
    return { id: randomUUID(), agentId: chat.answerer.id, content: answer.text, status, model: chat.model.id, ...usage, creditMicro: replyCost(usage, chat.model) };
  }
}

/** A model failure before anything was stored, as the API answers it. */
function toApiError(failure: ProviderError): ApiError {
  return failure.kind === 'rejected'
    ? new ApiError('VALIDATION_ERROR', failure.message)
    : new ApiError('SERVICE_UNAVAILABLE', failure.message, undefined, { retryAfterSeconds: failure.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_S });
}
