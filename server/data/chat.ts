import type { ChatRequest, ChatResult, ChatStreamEvent, Message } from '../../generated/sdk/types.gen.js';
import type { Prisma, PrismaClient } from '../db/database.js';
import { buildPrompt, CHARS_PER_TOKEN, chatParties, estimateTokens, HISTORY_LIMIT, isPaid, replyCost, type HistoryMessage, type Participant } from '../domain/chat.js';
import { ApiError } from '../errors.js';
import { ProviderError, type ChatTurn, type Provider, type Providers } from '../providers/index.js';
import { withTimeouts, type StreamTimeouts } from '../providers/timeouts.js';
import type { Caller } from './caller.js';
import { addToLedger, type CreditStore } from './credits.js';
import type { CatalogEntry, ModelCatalog } from './models.js';
import { toMessage, type SessionStore } from './sessions.js';
import { nextTimestamp } from './serialize.js';
import { orgWide } from './tenancy.js';

type Tx = Prisma.TransactionClient;
/** Retry-After for a provider failure that did not say when to retry. */
const DEFAULT_RETRY_AFTER_S = 5;

/** Everything a chat needs once every refusal that can be known before calling the model has passed. */
export interface PreparedChat {
  caller: Caller;
  sessionId: string;
  author: Participant | null;
  answerer: Participant;
  model: CatalogEntry;
  provider: Provider;
  turns: ChatTurn[];
  content: string;
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
    private readonly prisma: PrismaClient,
    private readonly sessions: SessionStore,
    private readonly models: ModelCatalog,
    private readonly providers: Providers,
    private readonly credits: CreditStore,
    private readonly timeouts: StreamTimeouts,
  ) {}

  async prepare(caller: Caller, sessionId: string, body: ChatRequest): Promise<PreparedChat> {
    const session = await this.sessions.find(caller, sessionId);
    // The session's agents are reached through the session, wherever they live (tenancy.orgWide).
    const participants = await this.prisma.agent.findMany({
      where: { id: { in: session.participants.map((p) => p.agentId) }, AND: [orgWide(caller.orgId, 'agent')] },
      select: { id: true, slug: true, name: true, isActive: true, allowedPeerIds: true, model: true, systemPrompt: true },
    });
    const isPeer = (session.metadata as { relationship?: unknown }).relationship === 'peer';
    const { author, answerer } = chatParties(participants, body, isPeer);
    const agent = participants.find((p) => p.id === answerer.id)!;
    if (!this.models.has(agent.model)) {
      // Its model came from a providers file that no longer lists it: the agent must be moved to another.
      throw new ApiError('CONFLICT', `Agent ${agent.slug} runs on model ${agent.model}, which this server's catalog no longer has; change the agent's model`);
    }
    const model = this.models.entry(agent.model);
    const provider = this.providers.get(model.provider, model.id);
    if (isPaid(model) && (await this.credits.balanceMicro(caller)) <= 0n) {
      throw new ApiError('PAYMENT_REQUIRED', `Model ${model.id} is paid and this organization has no credits left; add credits to continue`);
    }
    const incoming: HistoryMessage = { agentId: author?.id ?? null, authorName: author?.name ?? (await this.userName(caller.userId)), content: body.content };
    const turns = buildPrompt({
      systemPrompt: agent.systemPrompt,
      answererId: agent.id,
      history: await this.history(sessionId),
      incoming,
      contextWindow: model.contextWindow,
    });
    return { caller, sessionId, author, answerer, model, provider, turns, content: body.content };
  }

  /** Without streaming: the model answers first, then the message and the reply are stored together. */
  async complete(chat: PreparedChat, signal: AbortSignal): Promise<ChatResult> {
    const generation = this.generate(chat, signal);
    let step = await generation.next();
    while (!step.done) step = await generation.next();
    const answer = step.value;
    if (answer.failure) throw toApiError(answer.failure);
    if (signal.aborted) throw new ApiError('SERVICE_UNAVAILABLE', 'The request was cancelled before the model answered');
    return this.prisma.$transaction(async (tx) => {
      const message = await this.writeMessage(tx, chat);
      const reply = await this.writeReply(tx, chat, message, answer, 'complete');
      return { message, reply };
    });
  }

  /**
   * Streaming: the message is stored and sent first, then the answer as it arrives, then the stored reply.
   * The consumer must read to the end even after its client left: that is when the partial reply is stored.
   */
  async *stream(chat: PreparedChat, signal: AbortSignal): AsyncGenerator<ChatStreamEvent> {
    const message = await this.prisma.$transaction((tx) => this.writeMessage(tx, chat));
    yield { event: 'message', data: message };
    const generation = this.generate(chat, signal);
    let step = await generation.next();
    while (!step.done) {
      yield { event: 'delta', data: { text: step.value } };
      step = await generation.next();
    }
    const answer = step.value;
    const status = answer.failure?.kind === 'rejected' ? 'failed' : answer.failure || signal.aborted ? 'incomplete' : 'complete';
    const reply = await this.prisma.$transaction((tx) => this.writeReply(tx, chat, message, answer, status));
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

  private async writeMessage(tx: Tx, chat: PreparedChat): Promise<Message> {
    const at = await this.touchSession(tx, chat.sessionId);
    const row = await tx.message.create({
      data: {
        orgId: chat.caller.orgId,
        sessionId: chat.sessionId,
        agentId: chat.author?.id ?? null,
        userId: chat.author ? null : chat.caller.userId,
        content: chat.content,
        createdAt: at,
      },
    });
    return toMessage(row);
  }

  /** The reply and, on a paid model, its debit. Usage the provider did not report is estimated from what arrived. */
  private async writeReply(tx: Tx, chat: PreparedChat, message: Message, answer: Generation, status: 'complete' | 'incomplete' | 'failed'): Promise<Message> {
    const usage =
      answer.usage ??
      (answer.text
        ? { inputTokens: estimateTokens(chat.turns), outputTokens: Math.ceil(answer.text.length / CHARS_PER_TOKEN) }
        : { inputTokens: 0, outputTokens: 0 });
    const cost = replyCost(usage, chat.model);
    const at = await this.touchSession(tx, chat.sessionId);
    const row = await tx.message.create({
      data: {
        orgId: chat.caller.orgId,
        sessionId: chat.sessionId,
        agentId: chat.answerer.id,
        content: answer.text,
        status,
        model: chat.model.id,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        creditMicro: cost,
        replyToId: message.id,
        createdAt: at,
      },
    });
    if (cost > 0n) await addToLedger(tx, chat.caller.orgId, 'debit', cost, { messageId: row.id });
    return toMessage(row);
  }

  /** Moves the session's updatedAt strictly forward and answers it: the new message's timestamp. */
  private async touchSession(tx: Tx, sessionId: string): Promise<Date> {
    const { updatedAt } = await tx.session.findUniqueOrThrow({ where: { id: sessionId }, select: { updatedAt: true } });
    const at = nextTimestamp(updatedAt);
    await tx.session.update({ where: { id: sessionId }, data: { updatedAt: at } });
    return at;
  }

  /** The session's latest messages, newest first, with their authors' names. */
  private async history(sessionId: string): Promise<HistoryMessage[]> {
    const rows = await this.prisma.message.findMany({
      // A reply that never got any text is not part of the conversation.
      where: { sessionId, content: { not: '' } },
      select: { agentId: true, userId: true, content: true, agent: { select: { name: true } } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: HISTORY_LIMIT,
    });
    const userIds = [...new Set(rows.flatMap((r) => (r.userId ? [r.userId] : [])))];
    const users = userIds.length > 0 ? await this.prisma.user.findMany({ where: { id: { in: userIds } }, select: { id: true, name: true } }) : [];
    const nameOf = new Map(users.map((u) => [u.id, u.name ?? 'User']));
    return rows.map((r) => ({
      agentId: r.agentId,
      authorName: r.agent?.name ?? (r.userId ? (nameOf.get(r.userId) ?? 'User') : 'User'),
      content: r.content,
    }));
  }

  private async userName(userId: string): Promise<string> {
    const user = await this.prisma.user.findUnique({ where: { id: userId }, select: { name: true } });
    return user?.name ?? 'User';
  }
}

/** A model failure before anything was stored, as the API answers it. */
function toApiError(failure: ProviderError): ApiError {
  return failure.kind === 'rejected'
    ? new ApiError('VALIDATION_ERROR', failure.message)
    : new ApiError('SERVICE_UNAVAILABLE', failure.message, undefined, { retryAfterSeconds: failure.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_S });
}
