import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { Caller } from './caller.js';
import type { RevocationBus } from '../revocations.js';
import { AgentStore } from './agents.js';
import { ApiKeyStore, KeyCache } from './api-keys.js';
import { DashboardStore } from './dashboard.js';
import { IdempotencyStore } from './idempotency.js';
import { MeStore } from './me.js';
import { ModelCatalog } from './models.js';
import { SessionStore } from './sessions.js';
import { WorkspaceStore } from './workspaces.js';

// Revocation must reach every server within a second: with Redis it is pushed at once, without it the
// cache entry simply expires.
const KEY_CACHE_TTL_MS = 1_000;

/** The data layer: the only code that talks to the database, and where tenancy is enforced. */
export function createDataLayer(db: Database, config: Config, revocations: RevocationBus, logger?: Logger) {
  const { prisma, sql } = db;
  const models = new ModelCatalog(config.models.defaultModel, config.models.alaModel);
  const agents = new AgentStore(prisma, models, config.agentLimitPerOrg, sql);
  const apiKeys = new ApiKeyStore({
    prisma,
    keyEnv: config.keyEnv,
    cache: new KeyCache(KEY_CACHE_TTL_MS),
    revocations,
    sql,
    onBackgroundError: (err, keyId) => logger?.warn({ err, keyId }, 'could not record key use'),
  });
  return {
    /**
     * Runs before every handler, once validation has passed (a refused request writes nothing): every org
     * has its default agent Ala from its first call on, ensured here and nowhere else.
     */
    beforeHandler: (caller: Caller) => agents.ensureAla(caller.orgId),
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
