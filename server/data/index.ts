import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { Caller } from './caller.js';
import type { RevocationBus } from '../revocations.js';
import { Providers } from '../providers/index.js';
import { DocsAssistant } from '../docs-assistant/assistant.js';
import { ActivityLog } from './activity.js';
import { AgentStore } from './agents.js';
import { BlockStore } from './blocks.js';
import { ChatStore } from './chat.js';
import { CreditStore } from './credits.js';
import { ApiKeyStore, KeyCache } from './api-keys.js';
import { BrowserSessionStore } from './browser-sessions.js';
import { DashboardStore } from './dashboard.js';
import { IdempotencyStore } from './idempotency.js';
import { InquiryStore } from './inquiries.js';
import { MachineStore } from './machines.js';
import { MeStore } from './me.js';
import { MissionControlStore } from './mission-control.js';
import { PasswordStore } from './passwords.js';
import { ModelCatalog } from './models.js';
import { ProjectStore } from './projects.js';
import { SessionStore } from './sessions.js';
import { WorkspaceStore } from './workspaces.js';

// Revocation must reach every server within a second: with Redis it is pushed at once, without it the
// cache entry simply expires.
const KEY_CACHE_TTL_MS = 1_000;

/** The data layer: the only code that talks to the database, and where tenancy is enforced. */
export function createDataLayer(db: Database, config: Config, revocations: RevocationBus, logger?: Logger) {
  const { prisma, sql } = db;
  // This process as a machine: named in every activity row it writes, registered and kept alive by main.ts.
  const machineId = randomUUID();
  const activity = new ActivityLog(machineId);
  const machines = new MachineStore(prisma, { id: machineId, name: config.machine.name, heartbeatMs: config.machine.heartbeatMs }, logger);
  const providers = new Providers(config.providers);
  const models = new ModelCatalog(config.models.defaultModel, config.models.alaModel, providers, config.extraModels);
  const agents = new AgentStore(prisma, models, config.agentLimitPerOrg, sql, activity);
  const projects = new ProjectStore(prisma, activity, sql);
  const sessions = new SessionStore(prisma, agents, activity);
  const credits = new CreditStore(prisma, activity);
  const chatTimeouts = { firstMs: config.chat.firstTokenTimeoutMs, idleMs: config.chat.idleTimeoutMs };
  const apiKeys = new ApiKeyStore({
    prisma,
    keyEnv: config.keyEnv,
    cache: new KeyCache(KEY_CACHE_TTL_MS),
    revocations,
    activity,
    sql,
    onBackgroundError: (err, keyId) => logger?.warn({ err, keyId }, 'could not record key use'),
  });
  return {
    /**
     * Runs before every handler, once validation has passed (a refused request writes nothing): every org
     * has its default agent Ala from its first call on, ensured here and nowhere else.
     */
    beforeHandler: (caller: Caller) => agents.ensureAla(caller.orgId),
    activity,
    agents,
    apiKeys,
    blocks: new BlockStore(prisma, projects, activity, sql),
    browserSessions: new BrowserSessionStore({
      prisma,
      passwords: new PasswordStore(prisma),
      lifetimes: config.browserSessions,
      keyEnv: config.keyEnv,
      secureCookies: config.isProduction,
      sql,
    }),
    chat: new ChatStore(sql, models, providers, chatTimeouts, activity, logger),
    credits,
    dashboard: new DashboardStore(prisma, agents, apiKeys),
    docsAssistant: new DocsAssistant({ model: config.docsAssistant.model, models, providers, timeouts: chatTimeouts, logger }),
    machineId,
    machines,
    missionControl: new MissionControlStore(prisma, sql, machines),
    idempotency: new IdempotencyStore(prisma, config.idempotencyTtlMs),
    inquiries: new InquiryStore(prisma),
    me: new MeStore(prisma),
    models,
    passwords: new PasswordStore(prisma),
    projects,
    sessions,
    workspaces: new WorkspaceStore(prisma),
  };
}

export type DataLayer = ReturnType<typeof createDataLayer>;
