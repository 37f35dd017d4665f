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
import { AgentTriggerStore } from './agent-triggers.js';
import { BlockStore } from './blocks.js';
import { ChatStore } from './chat.js';
import { CreditStore } from './credits.js';
import { ApiKeyStore, KeyCache } from './api-keys.js';
import { BrowserSessionStore } from './browser-sessions.js';
import { DashboardStore } from './dashboard.js';
import { DeviceLoginStore } from './device-logins.js';
import { IdempotencyStore } from './idempotency.js';
import { InquiryStore } from './inquiries.js';
import { MachineStore } from './machines.js';
import { MeStore } from './me.js';
import { InviteStore } from './invites.js';
import { MemberStore } from './members.js';
import { OrgStore } from './org.js';
import { MissionControlStore } from './mission-control.js';
import { PasswordStore } from './passwords.js';
import { ModelCatalog } from './models.js';
import { ProjectStore } from './projects.js';
import { SessionStore } from './sessions.js';
import { SessionParticipantStore } from './session-participants.js';
import { ShareLinkStore } from './share-links.js';
import { secretBoxFor } from './secret-box.js';
import { WebhookLogStore } from './webhook-log.js';
import { WebhookStore } from './webhooks.js';
import { WorkspaceAccessStore } from './workspace-access.js';
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
  // One box for every sealed secret (webhook signing secrets, trigger secrets), exported for the delivery engine.
  const secretBox = secretBoxFor(config.secretsKey);
  const webhooks = new WebhookStore(prisma, activity, secretBox, config.webhooks);
  const chatTimeouts = { firstMs: config.chat.firstTokenTimeoutMs, idleMs: config.chat.idleTimeoutMs };
  const chat = new ChatStore(sql, models, providers, chatTimeouts, activity, logger);
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
    agentTriggers: new AgentTriggerStore({ prisma, agents, chat, activity, secretBox, keyEnv: config.keyEnv, logger }),
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
    chat,
    credits,
    participants: new SessionParticipantStore(prisma, activity),
    shareLinks: new ShareLinkStore(prisma, activity),
    dashboard: new DashboardStore(prisma, agents, apiKeys),
    deviceLogins: new DeviceLoginStore(prisma, activity, config.keyEnv),
    docsAssistant: new DocsAssistant({ model: config.docsAssistant.model, models, providers, timeouts: chatTimeouts, logger }),
    machineId,
    machines,
    missionControl: new MissionControlStore(prisma, sql, machines),
    idempotency: new IdempotencyStore(prisma, config.idempotencyTtlMs),
    inquiries: new InquiryStore(prisma),
    me: new MeStore(prisma),
    members: new MemberStore(prisma, revocations, activity),
    invites: new InviteStore(prisma, new PasswordStore(prisma), activity),
    org: new OrgStore(prisma, models, activity),
    models,
    passwords: new PasswordStore(prisma),
    projects,
    secretBox,
    sessions,
    webhooks,
    webhookLog: new WebhookLogStore(prisma, webhooks),
    workspaces: new WorkspaceStore(prisma, revocations, activity),
    workspaceAccess: new WorkspaceAccessStore(prisma, revocations, activity),
  };
}

export type DataLayer = ReturnType<typeof createDataLayer>;
