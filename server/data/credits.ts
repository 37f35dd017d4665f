import type { CreditAmount, GetUsageData, UsageReport } from '../../generated/sdk/types.gen.js';
import { sqlThroughPrisma, type Prisma, type PrismaClient } from '../db/database.js';
import { toCreditAmount } from '../domain/credits.js';
import { usageWindow } from '../domain/usage.js';
import { ApiError } from '../errors.js';
import { ActivityLog, SYSTEM_ACTOR, excerpt, type ActivityEntry } from './activity.js';
import type { Caller } from './caller.js';
import { iso } from './serialize.js';
import { billedTo, billedToSql, visible } from './tenancy.js';

type Tx = Prisma.TransactionClient;

/** SQL for each way of grouping usage: the group's key, and the order groups are listed in. */
const GROUPS = {
  day: { key: `to_char("createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD')`, order: 'key ASC' },
  model: { key: '"model"', order: '"creditMicro" DESC, key ASC' },
  agent: { key: '"agentId"::text', order: '"creditMicro" DESC, key ASC' },
} as const;

interface UsageRow {
  key: string;
  replies: number;
  inputTokens: bigint;
  outputTokens: bigint;
  creditMicro: bigint;
}

/**
 * The log of changes the operator makes outside any server process (the admin command, the first start's
 * bootstrap): their rows name no machine.
 */
export const OPERATOR_ACTIVITY = new ActivityLog(null);

/** A grant's activity row: the organization is the subject, the operator (system) the actor; org-wide. */
export function grantActivity(org: { id: string; name: string }, micro: bigint, note: string): ActivityEntry {
  const { credits } = toCreditAmount(micro);
  return {
    kind: 'credits.granted',
    actor: SYSTEM_ACTOR,
    subject: { type: 'organization', id: org.id, name: org.name },
    orgId: org.id,
    workspaceId: null,
    summary: `${credits} credits were granted to ${org.name}`,
    details: { creditMicro: Number(micro), credits, note: excerpt(note) },
  };
}

/** Credits: the ledger of grants and debits, and the balance kept equal to its sum. */
export class CreditStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly activity: ActivityLog = OPERATOR_ACTIVITY,
  ) {}

  async balance(caller: Caller): Promise<CreditAmount> {
    const { orgId } = billedTo(caller);
    const org = await this.prisma.organization.findUniqueOrThrow({ where: { id: orgId }, select: { creditBalanceMicro: true } });
    return toCreditAmount(org.creditBalanceMicro);
  }

  /** Adds credits to an organization (the operator's admin command); answers the new balance. */
  async grant(orgSlug: string, micro: bigint, note: string): Promise<{ orgId: string; balanceMicro: bigint }> {
    return this.prisma.$transaction(async (tx) => {
      const org = await tx.organization.findUnique({ where: { slug: orgSlug }, select: { id: true, name: true } });
      if (!org) throw new ApiError('NOT_FOUND', `Organization ${orgSlug} not found`);
      const balanceMicro = await addToLedger(tx, org.id, 'grant', micro, { note });
      await this.activity.record(sqlThroughPrisma(tx), grantActivity(org, micro, note));
      return { orgId: org.id, balanceMicro };
    });
  }

  async usage(caller: Caller, query: GetUsageData['query'] = {}): Promise<UsageReport> {
    const groupBy = query.groupBy ?? 'day';
    const { from, to } = usageWindow(query.from, query.to, Date.now());
    const group = GROUPS[groupBy];
    const rows = await this.prisma.$queryRawUnsafe<UsageRow[]>(
      `SELECT ${group.key} AS key, count(*)::int AS replies,
         coalesce(sum("inputTokens"), 0)::bigint AS "inputTokens", coalesce(sum("outputTokens"), 0)::bigint AS "outputTokens",
         coalesce(sum("creditMicro"), 0)::bigint AS "creditMicro"
       FROM "Message"
       WHERE ${billedToSql} AND "model" IS NOT NULL AND status <> 'failed' AND "createdAt" >= $2::timestamptz AND "createdAt" < $3::timestamptz
       GROUP BY 1 ORDER BY ${group.order}`,
      billedTo(caller).orgId,
      from,
      to,
    );
    const grouped = groupBy === 'agent' ? await this.foldHiddenAgents(caller, rows) : rows;
    const items = grouped.map((r) => ({ key: r.key, ...totals(r) }));
    return { from: iso(from), to: iso(to), groupBy, items, total: totals(rows.reduce(addRows, ZERO)) };
  }

  /**
   * The figures are the org's, but an agent's id is shown only to callers who may see the agent: replies
   * of agents in workspaces hidden from the caller are summed under the key `other`, listed last.
   */
  private async foldHiddenAgents(caller: Caller, rows: UsageRow[]): Promise<UsageRow[]> {
    const seen = await this.prisma.agent.findMany({
      where: { id: { in: rows.map((r) => r.key) }, AND: [visible(caller, 'agent', { deleted: true })] },
      select: { id: true },
    });
    const visibleIds = new Set(seen.map((a) => a.id));
    const shown = rows.filter((r) => visibleIds.has(r.key));
    const hidden = rows.filter((r) => !visibleIds.has(r.key));
    if (hidden.length === 0) return shown;
    return [...shown, hidden.reduce(addRows, { ...ZERO, key: OTHER_AGENTS })];
  }
}

/** The usage key under which agents the caller cannot see are summed. */
const OTHER_AGENTS = 'other';
const ZERO: UsageRow = { key: '', replies: 0, inputTokens: 0n, outputTokens: 0n, creditMicro: 0n };
const addRows = (a: UsageRow, r: UsageRow): UsageRow => ({
  key: a.key,
  replies: a.replies + r.replies,
  inputTokens: a.inputTokens + r.inputTokens,
  outputTokens: a.outputTokens + r.outputTokens,
  creditMicro: a.creditMicro + r.creditMicro,
});

const totals = (r: UsageRow) => ({
  replies: r.replies,
  inputTokens: Number(r.inputTokens),
  outputTokens: Number(r.outputTokens),
  ...toCreditAmount(r.creditMicro),
});

/**
 * One ledger row and the balance moved by it, in the caller's transaction: the balance is always the
 * ledger's sum. `amount` is positive for a grant and is subtracted for a debit. Returns the new balance.
 */
export async function addToLedger(
  tx: Tx,
  orgId: string,
  kind: 'grant' | 'debit',
  amount: bigint,
  ref: { note?: string; messageId?: string },
): Promise<bigint> {
  const signed = kind === 'grant' ? amount : -amount;
  await tx.creditLedger.create({ data: { orgId, kind, amountMicro: signed, note: ref.note ?? null, messageId: ref.messageId ?? null } });
  const org = await tx.organization.update({
    where: { id: orgId },
    data: { creditBalanceMicro: { increment: signed } },
    select: { creditBalanceMicro: true },
  });
  return org.creditBalanceMicro;
}
