import type { Config } from '../config.js';
import type { PrismaClient } from '../db/database.js';
import { AgentStore } from './agents.js';
import { ApiKeyStore } from './api-keys.js';
import { DashboardStore } from './dashboard.js';
import { IdempotencyStore } from './idempotency.js';
import { MeStore } from './me.js';
import { ModelCatalog } from './models.js';
import { SessionStore } from './sessions.js';
import { WorkspaceStore } from './workspaces.js';

/** The data layer: the only code that talks to the database, and where tenancy is enforced. */
export function createDataLayer(prisma: PrismaClient, config: Config) {
  const models = new ModelCatalog(config.models.defaultModel, config.models.alaModel);
  const apiKeys = new ApiKeyStore(prisma, config.keyEnv);
  const agents = new AgentStore(prisma, models);
  return {
    agents,
    apiKeys,
    dashboard: new DashboardStore(prisma, agents, apiKeys),
    idempotency: new IdempotencyStore(prisma, config.idempotencyTtlMs),
    me: new MeStore(prisma),
    models,
    sessions: new SessionStore(prisma, agents),
    workspaces: new WorkspaceStore(prisma),
  };
}

export type DataLayer = ReturnType<typeof createDataLayer>;
