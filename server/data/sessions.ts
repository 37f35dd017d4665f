import type {
  CreateMessageRequest,
  CreateSessionRequest,
  ListSessionsData,
  Message,
  PeerMessage,
  Session,
  UpdateSessionRequest,
} from '../../generated/sdk/types.gen.js';
import { sqlThroughPrisma, type Prisma, type PrismaClient } from '../db/database.js';
import { ApiError, notFound } from '../errors.js';
import { METADATA_LIMITS, checkJsonLimits } from '../domain/json-limits.js';
import { after, decodeCursor, toPage, type Page } from '../domain/pagination.js';
import { checkAgentMayPost, messageActivity, sessionActivity } from '../domain/sessions.js';
import { byRef } from '../domain/slugs.js';
import { actorOf, type ActivityLog } from './activity.js';
import type { AgentStore } from './agents.js';
import type { Caller } from './caller.js';
import { iso, nextTimestamp } from './serialize.js';
import { listed, orgWide, visible } from './tenancy.js';

export const sessionInclude = { participants: { select: { agentId: true }, orderBy: { createdAt: 'asc' } } } as const;
type SessionRow = Prisma.SessionGetPayload<{ include: typeof sessionInclude }>;
/** A message row, from Prisma or from chat's SQL (which answers bigint as text). */
type MessageRow = Omit<Prisma.MessageGetPayload<object>, 'creditMicro'> & { creditMicro: bigint | string | null };

export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    orgId: row.orgId,
    workspaceId: row.workspaceId,
    projectId: row.projectId,
    title: row.title,
    metadata: row.metadata as Record<string, unknown>,
    agentIds: row.participants.map((p) => p.agentId),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function toMessage(row: MessageRow): Message {
  const isReply = row.model !== null;
  return {
    id: row.id,
    sessionId: row.sessionId,
    agentId: row.agentId,
    userId: row.userId,
    role: row.agentId ? 'agent' : 'user',
    status: row.status,
    content: row.content,
    model: row.model,
    usage: isReply ? { inputTokens: row.inputTokens ?? 0, outputTokens: row.outputTokens ?? 0, creditMicro: Number(row.creditMicro ?? 0n) } : null,
    replyTo: row.replyToId,
    createdAt: iso(row.createdAt),
  };
}

export class SessionStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly agents: AgentStore,
    private readonly activity: ActivityLog,
  ) {}

  /** The live session, if the caller can see it; 404 otherwise. */
  private async find(caller: Caller, id: string): Promise<SessionRow> {
    const row = await this.prisma.session.findFirst({ where: { id, AND: [visible(caller, 'session')] }, include: sessionInclude });
    if (!row) throw notFound('Session');
    return row;
  }

  async list(caller: Caller, query: ListSessionsData['query'] = {}): Promise<Page<Session>> {
    const limit = query.limit ?? 100;
    const filters: Prisma.SessionWhereInput[] = [];
    if (query.agentId !== undefined) {
      const [agentId] = await this.resolveAgents(caller, [query.agentId], 'query.agentId');
      filters.push({ participants: { some: { agentId } } });
    }
    if (query.projectId !== undefined) filters.push({ projectId: await this.resolveProject(caller, query.projectId, 'query.projectId') });
    if (query.relationship !== undefined) filters.push({ metadata: { path: ['relationship'], equals: query.relationship } });
    const rows = await this.prisma.session.findMany({
      where: { AND: [listed(caller, 'session'), after('updatedAt', decodeCursor(query.cursor)), ...filters] },
      include: sessionInclude,
      orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    return toPage(rows, limit, (r) => r.updatedAt, toSession);
  }

  /** Sessions the agent takes part in, among those the caller can see, newest first. */
  async forAgent(caller: Caller, ref: string, query: { limit?: number; cursor?: string }): Promise<Page<Session>> {
    const agent = await this.agents.find(caller, ref);
    const limit = query.limit ?? 100;
    const rows = await this.prisma.session.findMany({
      where: { participants: { some: { agentId: agent.id } }, AND: [visible(caller, 'session'), after('updatedAt', decodeCursor(query.cursor))] },
      include: sessionInclude,
      orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    return toPage(rows, limit, (r) => r.updatedAt, toSession);
  }

  /** The latest agent-authored messages of the peer sessions (visible to the caller) the agent takes part in. */
  async peerMessages(caller: Caller, ref: string, limit = 50): Promise<PeerMessage[]> {
    const agent = await this.agents.find(caller, ref);
    const rows = await this.prisma.message.findMany({
      where: {
        agentId: { not: null },
        session: {
          metadata: { path: ['relationship'], equals: 'peer' },
          participants: { some: { agentId: agent.id } },
          AND: [visible(caller, 'session')],
        },
      },
      include: { agent: { select: { name: true, avatar: true } } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
    return rows.map((m) => ({
      ...toMessage(m),
      fromAgentName: m.agent?.name ?? '',
      fromAgentAvatar: m.agent?.avatar ?? '',
      isSelf: m.agentId === agent.id,
    }));
  }

  async get(caller: Caller, id: string): Promise<Session> {
    return toSession(await this.find(caller, id));
  }

  async create(caller: Caller, body: CreateSessionRequest): Promise<Session> {
    if (!caller.currentWorkspaceId) {
      throw new ApiError('FORBIDDEN', 'You have no workspace to create the session in; ask an admin for access to one');
    }
    const metadata = body.metadata ?? {};
    checkJsonLimits(metadata, METADATA_LIMITS, 'body.metadata');
    const agentIds = await this.resolveAgents(caller, body.agentIds);
    const projectId = body.projectId == null ? null : await this.resolveProject(caller, body.projectId, 'body.projectId');
    const now = Date.now();
    const row = await this.prisma.$transaction(async (tx) => {
      const created = await tx.session.create({
        data: {
          orgId: caller.orgId,
          workspaceId: caller.currentWorkspaceId,
          userId: caller.userId,
          projectId,
          title: body.title ?? null,
          metadata: metadata as Prisma.InputJsonObject,
          // Staggered by a millisecond so the participants list keeps the order the request named them in.
          participants: { create: agentIds.map((agentId, i) => ({ agentId, createdAt: new Date(now + i) })) },
        },
        include: sessionInclude,
      });
      await this.activity.record(sqlThroughPrisma(tx), sessionActivity('session.created', actorOf(caller), created, agentIds[0] ?? null));
      return created;
    });
    return toSession(row);
  }

  /** The project a reference (UUID or slug) names, if the caller can see it; 400 naming `path` otherwise. */
  private async resolveProject(caller: Caller, ref: string, path: string): Promise<string> {
    const row = await this.prisma.project.findFirst({ where: { AND: [byRef(ref), visible(caller, 'project')] }, select: { id: true } });
    if (!row) {
      throw new ApiError('BAD_REQUEST', `${path.split('.')[1]} names no project you can see: ${ref}`, [{ path, message: `unknown project: ${ref}` }]);
    }
    return row.id;
  }

  /** Each reference (UUID or slug) must be a live agent the caller can see; duplicates count once. */
  private async resolveAgents(caller: Caller, refs: string[], path = 'body.agentIds'): Promise<string[]> {
    const wanted = refs.map(byRef);
    const rows = await this.prisma.agent.findMany({
      where: { OR: wanted, AND: [visible(caller, 'agent')] },
      select: { id: true, slug: true },
    });
    const idOf = (ref: { id: string } | { slug: string }) => rows.find((r) => ('id' in ref ? r.id === ref.id : r.slug === ref.slug))?.id;
    const unknown = refs.filter((_, i) => idOf(wanted[i]!) === undefined);
    if (unknown.length > 0) {
      throw new ApiError('BAD_REQUEST', `${path.split('.')[1]} names no agent you can see: ${unknown.join(', ')}`, [
        { path, message: `unknown agents: ${unknown.join(', ')}` },
      ]);
    }
    return [...new Set(wanted.map((ref) => idOf(ref)!))];
  }

  /** Changes the title and/or replaces the metadata, and moves updatedAt forward. */
  async update(caller: Caller, id: string, body: UpdateSessionRequest): Promise<Session> {
    const session = await this.find(caller, id);
    if (Object.keys(body).length === 0) throw new ApiError('BAD_REQUEST', 'The body is empty: send at least one field to change');
    if (body.metadata !== undefined) checkJsonLimits(body.metadata, METADATA_LIMITS, 'body.metadata');
    const projectId =
      body.projectId === undefined || body.projectId === null ? body.projectId : await this.resolveProject(caller, body.projectId, 'body.projectId');
    const row = await this.prisma.$transaction(async (tx) => {
      const updated = await tx.session.update({
        where: { id: session.id },
        data: {
          ...(body.title !== undefined ? { title: body.title } : {}),
          ...(projectId !== undefined ? { projectId } : {}),
          ...(body.metadata !== undefined ? { metadata: body.metadata as Prisma.InputJsonObject } : {}),
          updatedAt: nextTimestamp(session.updatedAt),
        },
        include: sessionInclude,
      });
      const first = updated.participants[0]?.agentId ?? null;
      await this.activity.record(sqlThroughPrisma(tx), sessionActivity('session.updated', actorOf(caller), updated, first));
      return updated;
    });
    return toSession(row);
  }

  /** Deleting a deleted session answers the same, with no side effect. */
  async remove(caller: Caller, id: string): Promise<{ deleted: true }> {
    const row = await this.prisma.session.findFirst({ where: { id, AND: [visible(caller, 'session', { deleted: true })] }, include: sessionInclude });
    if (!row) throw notFound('Session');
    if (row.deletedAt) return { deleted: true };
    await this.prisma.$transaction(async (tx) => {
      // Of concurrent deletes only the one that flips deletedAt writes the row.
      const { count } = await tx.session.updateMany({ where: { id, AND: [visible(caller, 'session')] }, data: { deletedAt: new Date() } });
      const first = row.participants[0]?.agentId ?? null;
      if (count === 1) await this.activity.record(sqlThroughPrisma(tx), sessionActivity('session.deleted', actorOf(caller), row, first));
    });
    return { deleted: true };
  }

  async listMessages(caller: Caller, id: string, query: { limit?: number; cursor?: string }): Promise<Page<Message>> {
    await this.find(caller, id);
    const limit = query.limit ?? 100;
    const rows = await this.prisma.message.findMany({
      where: { sessionId: id, ...after('createdAt', decodeCursor(query.cursor), 'asc') },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit + 1,
    });
    return toPage(rows, limit, (r) => r.createdAt, toMessage);
  }

  /**
   * Appends a message and moves the session's updatedAt forward, atomically. An agent author must
   * participate and be active; in a peer session every other participant must be in its allowedPeers.
   */
  async postMessage(caller: Caller, id: string, body: CreateMessageRequest): Promise<Message> {
    const session = await this.find(caller, id);
    let author: { id: string; name: string } | null = null;
    if (body.agentId !== undefined) {
      // The session's participants are reached through the session, wherever they live (tenancy.orgWide).
      const participants = session.participants.map((p) => p.agentId);
      const found = await this.prisma.agent.findFirst({
        where: { AND: [orgWide(caller.orgId, 'agent'), byRef(body.agentId), { id: { in: participants } }] },
      });
      if (!found) {
        throw new ApiError('BAD_REQUEST', `Agent ${body.agentId} does not participate in this session`, [
          { path: 'body.agentId', message: 'must be a live agent participating in the session' },
        ]);
      }
      const isPeerSession = (session.metadata as { relationship?: unknown }).relationship === 'peer';
      const others = isPeerSession
        ? await this.prisma.agent.findMany({ where: { id: { in: participants }, AND: [orgWide(caller.orgId, 'agent')] }, select: { id: true, slug: true } })
        : [];
      checkAgentMayPost(found, others, isPeerSession);
      author = found;
    }
    const agentId = author?.id ?? null;
    // The message and the session share one timestamp, strictly after the session's last one, so messages
    // posted one after another list in the order they were posted.
    const at = nextTimestamp(session.updatedAt);
    const message = await this.prisma.$transaction(async (tx) => {
      const created = await tx.message.create({
        data: { orgId: caller.orgId, sessionId: id, agentId, userId: agentId ? null : caller.userId, content: body.content, createdAt: at },
      });
      await tx.session.update({ where: { id }, data: { updatedAt: at } });
      const authorName = author?.name ?? caller.userName ?? caller.keyName;
      await this.activity.record(sqlThroughPrisma(tx), messageActivity(actorOf(caller), session, created, authorName));
      return created;
    });
    return toMessage(message);
  }
}
