import type { DashboardOverview } from '../../generated/sdk/types.gen.js';
import type { PrismaClient } from '../db/database.js';
import type { AgentStore } from './agents.js';
import type { ApiKeyStore } from './api-keys.js';
import type { Caller } from './caller.js';
import { listed } from './tenancy.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export class DashboardStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly agents: AgentStore,
    private readonly apiKeys: ApiKeyStore,
  ) {}

  /** Five queries, run together, whatever the size of the org: no per-row follow-ups. */
  async overview(caller: Caller): Promise<DashboardOverview> {
    const agentScope = listed(caller, 'agent');
    const sessionScope = listed(caller, 'session');
    const [byActive, sessions, messagesLast24h, activeApiKeys, recent] = await Promise.all([
      this.prisma.agent.groupBy({ by: ['isActive'], where: agentScope, _count: { _all: true } }),
      this.prisma.session.count({ where: sessionScope }),
      this.prisma.message.count({ where: { createdAt: { gte: new Date(Date.now() - DAY_MS) }, session: sessionScope } }),
      this.apiKeys.countActive(caller),
      this.agents.list(caller, { limit: 5 }),
    ]);
    const count = (active: boolean) => byActive.find((g) => g.isActive === active)?._count._all ?? 0;
    return {
      agents: { total: count(true) + count(false), active: count(true) },
      sessions,
      messagesLast24h,
      activeApiKeys,
      recentAgents: recent.items,
    };
  }
}
