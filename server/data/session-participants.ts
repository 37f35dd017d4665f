import type { Session } from '../../generated/sdk/types.gen.js';
import { ApiError, notFound } from '../errors.js';
import { sqlThroughPrisma, type Prisma, type PrismaClient } from '../db/database.js';
import { changeSummary } from '../domain/activity.js';
import { checkCanAdd, checkCanRemove } from '../domain/session-participants.js';
import { sessionActivity, sessionName } from '../domain/sessions.js';
import { byRef } from '../domain/slugs.js';
import { actorOf, type ActivityLog } from './activity.js';
import type { Caller } from './caller.js';
import { iso, nextTimestamp } from './serialize.js';
import { sessionInclude, toSession } from './sessions.js';
import { orgWide, visible } from './tenancy.js';

type Tx = Prisma.TransactionClient;
// Participant changes of one session run one after another, so two removals cannot leave none.
const LOCK = `SELECT id FROM "Session" WHERE id = $1::uuid FOR UPDATE`;

/** Adding and removing a session's agents (browser-only in the contract). */
export class SessionParticipantStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly activity: ActivityLog,
  ) {}

  async add(caller: Caller, id: string, ref: string): Promise<Session> {
    const session = await this.find(caller, id);
    // Like creating a session: a live agent the caller can see, here also one of the session's workspace.
    const agent = await this.prisma.agent.findFirst({
      where: { AND: [byRef(ref), visible(caller, 'agent'), { OR: [{ workspaceId: null }, { workspaceId: session.workspaceId }] }] },
      select: { id: true, slug: true },
    });
    if (!agent) {
      throw new ApiError('BAD_REQUEST', `agentId names no agent you can see in this session's workspace: ${ref}`, [
        { path: 'body.agentId', message: `unknown agent: ${ref}` },
      ]);
    }
    return this.change(caller, id, 'added', agent.id, async (tx, participants) => {
      checkCanAdd(participants, agent.id, agent.slug);
      await tx.sessionParticipant.create({ data: { sessionId: id, agentId: agent.id } });
    });
  }

  async remove(caller: Caller, id: string, ref: string): Promise<Session> {
    await this.find(caller, id);
    // A participant is reached through its session wherever it lives, as posting does (tenancy.orgWide).
    const agent = await this.prisma.agent.findFirst({ where: { AND: [byRef(ref), orgWide(caller.orgId, 'agent')] }, select: { id: true } });
    return this.change(caller, id, 'removed', agent?.id ?? ref, async (tx, participants) => {
      const agentId = checkCanRemove(participants, agent?.id, ref);
      await tx.sessionParticipant.delete({ where: { sessionId_agentId: { sessionId: id, agentId } } });
    });
  }

  private async find(caller: Caller, id: string) {
    const row = await this.prisma.session.findFirst({ where: { id, AND: [visible(caller, 'session')] }, select: { id: true, workspaceId: true } });
    if (!row) throw notFound('Session');
    return row;
  }

  /** Locks the session, applies `apply` to its participants, moves updatedAt and writes the activity row. */
  private async change(caller: Caller, id: string, verb: 'added' | 'removed', agentId: string, apply: (tx: Tx, participants: string[]) => Promise<void>) {
    const row = await this.prisma.$transaction(async (tx) => {
      await sqlThroughPrisma(tx)(LOCK, [id]);
      const before = await tx.session.findFirst({ where: { id, AND: [visible(caller, 'session')] }, include: sessionInclude });
      if (!before) throw notFound('Session');
      await apply(
        tx,
        before.participants.map((p) => p.agentId),
      );
      const updated = await tx.session.update({ where: { id }, data: { updatedAt: nextTimestamp(before.updatedAt) }, include: sessionInclude });
      const entry = sessionActivity('session.updated', actorOf(caller), updated, updated.participants[0]?.agentId ?? null);
      const summary = changeSummary('Session', sessionName(updated.title), 'updated', actorOf(caller), ['participants']);
      await this.activity.record(sqlThroughPrisma(tx), { ...entry, summary, details: { participant: verb, agentId, at: iso(updated.updatedAt) } });
      return updated;
    });
    return toSession(row);
  }
}
