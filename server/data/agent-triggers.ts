import type { AgentTrigger, ChatStreamEvent, CreateAgentTriggerResponse } from '../../generated/sdk/types.gen.js';
import { sqlThroughPrisma, type PrismaClient } from '../db/database.js';
import { chatParties } from '../domain/chat.js';
import { sessionActivity } from '../domain/sessions.js';
import {
  hashTriggerToken,
  mintTriggerSecret,
  mintTriggerToken,
  triggerActivity,
  triggerActor,
  triggerMessage,
  triggerSessionMetadata,
  triggerUrl,
  verifyTriggerSignature,
} from '../domain/triggers.js';
import { ApiError, notFound } from '../errors.js';
import type { Logger } from '../logger.js';
import { actorOf, type ActivityLog } from './activity.js';
import type { AgentStore } from './agents.js';
import type { Caller } from './caller.js';
import type { ChatStore } from './chat.js';
import type { SecretBox } from './secret-box.js';
import { iso } from './serialize.js';
import { sessionInclude } from './sessions.js';
import { orgMembers, ownOrg } from './tenancy.js';

interface TriggerRow {
  id: string;
  agentId: string;
  description: string;
  secret: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const toTrigger = (row: TriggerRow): AgentTrigger => ({
  id: row.id,
  agentId: row.agentId,
  description: row.description,
  verifiesSignatures: row.secret !== null,
  createdAt: iso(row.createdAt),
  lastUsedAt: row.lastUsedAt ? iso(row.lastUsedAt) : null,
});

/** What a trigger request brings: its token (the credential), the raw bytes, the parsed body, the headers. */
export interface TriggerRequest {
  token: string;
  rawBody: Buffer;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Inbound agent triggers (issue 15): a URL whose token starts a chat turn with the agent. A trigger is the
 * agent's: reached through an agent the caller can see and write (as PATCH /agents/:id), and its runs act
 * as its creator in the agent's org, with the creator's role at the time of the run.
 */
export class AgentTriggerStore {
  // Aborted at shutdown: an unfinished background reply is then stored partial, as a left stream's is.
  private readonly stopping = new AbortController();
  /** The replies still being written, which stop() waits for. */
  private readonly replies = new Set<Promise<void>>();

  private readonly prisma: PrismaClient;
  private readonly agents: AgentStore;
  private readonly chat: ChatStore;
  private readonly activity: ActivityLog;
  private readonly secretBox: SecretBox;
  private readonly keyEnv: Caller['keyEnv'];
  private readonly logger?: Logger;

  constructor(deps: {
    prisma: PrismaClient;
    agents: AgentStore;
    chat: ChatStore;
    activity: ActivityLog;
    secretBox: SecretBox;
    keyEnv: Caller['keyEnv'];
    logger?: Logger;
  }) {
    ({ prisma: this.prisma, agents: this.agents, chat: this.chat, activity: this.activity } = deps);
    ({ secretBox: this.secretBox, keyEnv: this.keyEnv, logger: this.logger } = deps);
  }

  /** Mints a trigger; its token (and secret) are in this answer only, the database keeps the token's hash. */
  async create(
    caller: Caller,
    ref: string,
    body: { description?: string; verifySignatures?: boolean } | undefined,
    origin: string,
  ): Promise<CreateAgentTriggerResponse['data']> {
    const agent = await this.agents.find(caller, ref);
    const token = mintTriggerToken();
    const secret = body?.verifySignatures ? mintTriggerSecret() : null;
    const row = await this.prisma.$transaction(async (tx) => {
      const created = await tx.agentTrigger.create({
        data: {
          orgId: agent.orgId,
          agentId: agent.id,
          tokenHash: hashTriggerToken(token),
          description: body?.description ?? '',
          secret: secret === null ? null : this.secretBox.seal(secret),
          createdByUserId: caller.userId,
        },
      });
      await this.activity.record(sqlThroughPrisma(tx), triggerActivity('created', actorOf(caller), agent, created));
      return created;
    });
    return { ...toTrigger(row), url: triggerUrl(origin, token), token, secret };
  }

  async list(caller: Caller, ref: string): Promise<{ items: AgentTrigger[] }> {
    const agent = await this.agents.find(caller, ref);
    const rows = await this.prisma.agentTrigger.findMany({
      where: { agentId: agent.id, revokedAt: null },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    return { items: rows.map(toTrigger) };
  }

  /** Revoking a revoked trigger answers the same; only the revoke that flips revokedAt writes the row. */
  async revoke(caller: Caller, ref: string, triggerId: string): Promise<{ deleted: true }> {
    const agent = await this.agents.find(caller, ref);
    const trigger = await this.prisma.agentTrigger.findFirst({ where: { id: triggerId, agentId: agent.id } });
    if (!trigger) throw notFound('Trigger');
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.agentTrigger.updateMany({ where: { id: trigger.id, revokedAt: null }, data: { revokedAt: new Date() } });
      if (count === 1) await this.activity.record(sqlThroughPrisma(tx), triggerActivity('revoked', actorOf(caller), agent, trigger));
    });
    return { deleted: true };
  }

  /**
   * Runs a trigger: every refusal first (404 for an unknown or revoked token, a deleted agent, or a creator
   * who left the org or can no longer see the agent; 401 for a bad signature; 402/403/409 as a chat would
   * answer them), then a new session, the stored message, and the agent's reply in the background.
   */
  async run(request: TriggerRequest): Promise<{ sessionId: string; messageId: string }> {
    const trigger = await this.prisma.agentTrigger.findUnique({ where: { tokenHash: hashTriggerToken(request.token) } });
    if (!trigger || trigger.revokedAt) throw notFound('Trigger');
    if (trigger.secret !== null) verifyTriggerSignature(this.secretBox.open(trigger.secret), request.rawBody, request.headers);
    const caller = await this.creator(trigger);
    const agent = await this.agents.find(caller, trigger.agentId).catch(() => {
      throw notFound('Trigger');
    });
    const org = await this.prisma.organization.findFirst({ where: ownOrg(caller), select: { creditBalanceMicro: true } });
    if (!org) throw notFound('Trigger');
    // Every refusal a chat with the agent would answer (403, 409, 503, 402), before anything is stored.
    chatParties([agent], {}, false);
    this.chat.modelFor(agent, org.creditBalanceMicro);
    const workspaceId = agent.workspaceId ?? caller.currentWorkspaceId;
    if (!workspaceId) throw new ApiError('FORBIDDEN', "The trigger's creator has no workspace to start the session in");
    const actor = triggerActor(trigger);
    const session = await this.prisma.$transaction(async (tx) => {
      const created = await tx.session.create({
        data: {
          orgId: agent.orgId,
          workspaceId,
          userId: caller.userId,
          metadata: triggerSessionMetadata(trigger.id),
          participants: { create: [{ agentId: agent.id }] },
        },
        include: sessionInclude,
      });
      await tx.agentTrigger.update({ where: { id: trigger.id }, data: { lastUsedAt: new Date() } });
      await this.activity.record(sqlThroughPrisma(tx), sessionActivity('session.created', actor, created, agent.id));
      return created;
    });
    const prepared = await this.chat.prepare(caller, session.id, { content: triggerMessage(request.body) }, actor);
    const events = await this.chat.openStream(prepared, this.stopping.signal);
    // The first event is the stored message; the rest is the reply, read to its end in the background.
    const first = await events.next();
    const messageId = !first.done && first.value.event === 'message' ? first.value.data.id : undefined;
    if (!messageId) throw new Error('A chat stream did not open with its message');
    const reply = this.drain(events, session.id).finally(() => this.replies.delete(reply));
    this.replies.add(reply);
    return { sessionId: session.id, messageId };
  }

  /** Stops the background replies and waits while each stores what it has, as a stream whose client left does. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.replies]);
  }

  private async drain(events: AsyncGenerator<ChatStreamEvent>, sessionId: string): Promise<void> {
    try {
      for await (const event of events) {
        if (event.event === 'error') this.logger?.warn({ sessionId, error: event.data }, 'a trigger reply failed');
      }
    } catch (err) {
      this.logger?.error({ err, sessionId }, 'a trigger reply failed');
    }
  }

  /** The trigger's creator as a caller in the agent's org, with their role now; 404 once they left it. */
  private async creator(trigger: { id: string; orgId: string; createdByUserId: string; description: string }): Promise<Caller> {
    const membership = await this.prisma.membership.findFirst({
      where: { ...orgMembers({ orgId: trigger.orgId }), userId: trigger.createdByUserId, user: { deletedAt: null } },
      select: { role: true, currentWorkspaceId: true, user: { select: { name: true } } },
    });
    if (!membership) throw notFound('Trigger');
    const name = triggerActor(trigger).name;
    return {
      via: 'trigger',
      keyId: null,
      keyPrefix: null,
      keyName: name,
      userName: membership.user.name,
      orgId: trigger.orgId,
      userId: trigger.createdByUserId,
      role: membership.role,
      scopes: ['sessions:write'],
      keyEnv: this.keyEnv,
      currentWorkspaceId: membership.currentWorkspaceId,
      browserSessionId: null,
      stepUpUntil: null,
    };
  }
}
