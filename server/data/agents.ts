import { randomUUID } from 'node:crypto';
import type { Agent, AgentSettings, CreateAgentRequest, UpdateAgentRequest } from '../../generated/sdk/types.gen.js';
import { Prisma, isUniqueViolation, sqlThroughPrisma, type PrismaClient, type Sql } from '../db/database.js';
import { ActivityLog, SYSTEM_ACTOR, actorOf, insertActivitySql, type ActivityEntry } from './activity.js';
import { ApiError, notFound } from '../errors.js';
import type { Caller } from './caller.js';
import type { ModelCatalog } from './models.js';
import { after, decodeCursor, toPage, type Page } from '../domain/pagination.js';
import { iso, nextTimestamp } from './serialize.js';
import { agentName } from '../domain/agent-names.js';
import { ALA_SLUG, agentSettings, alaPatch, checkDeletable, checkedSlug } from '../domain/agents.js';
import { byRef, slugify } from '../domain/slugs.js';
import { changeSummary, type ChangeVerb } from '../domain/activity.js';
import { checkNotEmpty } from '../domain/projects.js';
import { SlugAllocator } from './slug-allocator.js';
import { DEFAULT_VOICE } from '../domain/voice.js';
import { listed, orgWide, ownOrg, scopeParams, visible, visibleSql } from './tenancy.js';

type AgentRow = Prisma.AgentGetPayload<object>;

const DEFAULT_AVATAR = 'default';

// Agent lookups run on nearly every /agents request, so they skip the ORM (see Sql). The columns are the
// model's, named rather than `*`: a prepared `*` fails once a migration adds a column under a running server.
const ROW = Object.values(Prisma.AgentScalarFieldEnum).map((c) => `t."${c}"`).join(', ');
const FIND_BY_ID = `SELECT ${ROW} FROM "Agent" t WHERE t.id = $4::uuid AND ${visibleSql('agent')} LIMIT 1`;
const FIND_BY_SLUG = `SELECT ${ROW} FROM "Agent" t WHERE t.slug = $4 AND ${visibleSql('agent')} LIMIT 1`;
// Peer grants are stored as ids and shown as slugs.
const PEER_SLUGS = `SELECT t.id, t.slug FROM "Agent" t WHERE t.id = ANY($4::uuid[]) AND ${visibleSql('agent')}`;
const PEERS_BY_SLUG = `SELECT t.id, t.slug FROM "Agent" t WHERE t.slug = ANY($4::text[]) AND ${visibleSql('agent')}`;
// The create is one statement, its activity row a CTE of it: a unique violation on the slug fails both.
const INSERT_AGENT = `
  WITH a AS (
    INSERT INTO "Agent" AS t ("orgId", "workspaceId", "name", "slug", "description", "avatar", "model", "systemPrompt",
                              "allowedTools", "allowedPeerIds", "allowedConnectors", "settings", "id")
    VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9::text[], $10::uuid[], $11::text[], $12::jsonb, $13::uuid)
    RETURNING ${ROW}
  ), act AS (${insertActivitySql(14)})
  SELECT * FROM a`;

const INSERT_ALA = `
  WITH a AS (
    INSERT INTO "Agent" ("orgId", "name", "slug", "description", "avatar", "model", "isDefault", "settings", "id")
    VALUES ($1::uuid, 'Ala', $2, 'The organization''s default assistant.', 'ala', $3, true, $4::jsonb, $5::uuid)
    ON CONFLICT DO NOTHING
    RETURNING id
  ) ${insertActivitySql(6, 'a')}`;

/** Current slugs of peer agents by id; peers missing from it (deleted, or hidden from the caller) are not shown. */
type PeerSlugs = ReadonlyMap<string, string>;
const NO_PEERS: PeerSlugs = new Map();

export function toAgent(row: AgentRow, peerSlugs: PeerSlugs = NO_PEERS): Agent {
  return {
    id: row.id,
    orgId: row.orgId,
    workspaceId: row.workspaceId,
    name: row.name,
    slug: row.slug,
    description: row.description,
    avatar: row.avatar,
    model: row.model,
    systemPrompt: row.systemPrompt,
    allowedTools: row.allowedTools,
    allowedPeers: row.allowedPeerIds.flatMap((id) => peerSlugs.get(id) ?? []),
    allowedConnectors: row.allowedConnectors,
    isActive: row.isActive,
    settings: row.settings as AgentSettings,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

const isMissingRow = (err: unknown) => err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025';

/** The activity row of a change to `agent`, scoped like the agent. */
function agentEntry(caller: Caller, agent: { id: string; name: string; workspaceId: string | null }, verb: ChangeVerb, fields?: string[]): ActivityEntry {
  const actor = actorOf(caller);
  return {
    kind: `agent.${verb}`,
    actor,
    subject: { type: 'agent', id: agent.id, name: agent.name },
    orgId: caller.orgId,
    workspaceId: agent.workspaceId,
    agentId: agent.id,
    summary: changeSummary('Agent', agent.name, verb, actor, fields),
    details: fields ? { fields } : null,
  };
}

export class AgentStore {
  /** Orgs known to have their Ala, so the insert-if-missing runs once per org and process. */
  private readonly orgsWithAla = new Set<string>();
  private readonly slugs: SlugAllocator;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly models: ModelCatalog,
    /** The plan's agents per organization, Ala included; 0 for no limit. */
    private readonly agentLimit = 0,
    private readonly sql: Sql = sqlThroughPrisma(prisma),
    // Standalone stores (bench, plan tests) name a machine of their own.
    private readonly activity: ActivityLog = new ActivityLog(randomUUID()),
  ) {
    this.slugs = new SlugAllocator(prisma, sql, 'agent');
  }

  /**
   * Every org has exactly one Ala, created by whichever call needs it first. Concurrent first calls race
   * on the one-default-per-org unique index; ON CONFLICT makes the losers no-ops instead of errors.
   */
  async ensureAla(orgId: string): Promise<void> {
    if (this.orgsWithAla.has(orgId)) return;
    const settings = JSON.stringify({ voice: DEFAULT_VOICE });
    const id = randomUUID();
    const entry = this.activity.params({
      kind: 'agent.created',
      actor: SYSTEM_ACTOR,
      subject: { type: 'agent', id, name: 'Ala' },
      orgId,
      workspaceId: null,
      agentId: id,
      summary: changeSummary('Agent', 'Ala', 'created', SYSTEM_ACTOR),
    });
    // The activity row is written only when this statement created Ala (from the CTE's rows).
    await this.sql(INSERT_ALA, [orgId, ALA_SLUG, this.models.alaModel, settings, id, ...entry]);
    this.orgsWithAla.add(orgId);
  }

  /** A live agent the caller can see, by UUID or slug; 404 otherwise. */
  async find(caller: Caller, ref: string): Promise<AgentRow> {
    const target = byRef(ref);
    const [row] = await this.sql<AgentRow>('id' in target ? FIND_BY_ID : FIND_BY_SLUG, [
      ...scopeParams(caller),
      'id' in target ? target.id : target.slug,
    ]);
    if (!row) throw notFound('Agent');
    return row;
  }

  async list(caller: Caller, query: { limit?: number; cursor?: string }): Promise<Page<Agent>> {
    const limit = query.limit ?? 100;
    const rows = await this.prisma.agent.findMany({
      where: { AND: [listed(caller, 'agent'), after('updatedAt', decodeCursor(query.cursor))] },
      orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    const page = toPage(rows, limit, (r) => r.updatedAt, (r) => r);
    return { ...page, items: await this.present(caller, page.items) };
  }

  async get(caller: Caller, ref: string): Promise<Agent> {
    const [agent] = await this.present(caller, [await this.find(caller, ref)]);
    return agent!;
  }

  async create(caller: Caller, body: CreateAgentRequest): Promise<Agent> {
    if (!caller.currentWorkspaceId) {
      throw new ApiError('FORBIDDEN', 'You have no workspace to create the agent in; ask an admin for access to one');
    }
    const name = agentName(body.name, { isAla: false });
    if (this.agentLimit > 0 && (await this.prisma.agent.count({ where: orgWide(caller.orgId, 'agent') })) >= this.agentLimit) {
      throw new ApiError('PAYMENT_REQUIRED', `This organization's plan includes ${this.agentLimit} agents; delete one or upgrade the plan`);
    }
    const model = this.checkModel(body.model ?? (await this.defaultModelOf(caller)));
    const peerIds = body.allowedPeers ? await this.peerIds(caller, body.allowedPeers) : [];
    const settings = JSON.stringify(agentSettings(body.settings ?? {}));
    const id = randomUUID();
    const entry = this.activity.params(agentEntry(caller, { id, name, workspaceId: caller.currentWorkspaceId }, 'created'));
    const row = await this.slugs.create(
      caller.orgId,
      slugify(name),
      async (sql, slug) => {
        const [inserted] = await sql<AgentRow>(INSERT_AGENT, [
          caller.orgId, caller.currentWorkspaceId, name, slug, body.description ?? null, body.avatar ?? DEFAULT_AVATAR, model,
          body.systemPrompt ?? null, body.allowedTools ?? [], peerIds, body.allowedConnectors ?? [], settings, id, ...entry,
        ]);
        return inserted!;
      },
      'agents',
    );
    const [agent] = await this.present(caller, [row]);
    return agent!;
  }

  async update(caller: Caller, ref: string, body: UpdateAgentRequest): Promise<Agent> {
    checkNotEmpty(body);
    const row = await this.find(caller, ref);
    const isAla = row.isDefault;
    const change = isAla ? alaPatch(body, this.models.alaModel) : body;
    const data: Prisma.AgentUpdateInput = {};
    if (change.name !== undefined) data.name = agentName(change.name, { isAla });
    if (change.slug !== undefined) data.slug = checkedSlug(change.slug);
    if (change.description !== undefined) data.description = change.description;
    if (change.systemPrompt !== undefined) data.systemPrompt = change.systemPrompt;
    if (change.model !== undefined) data.model = this.checkModel(change.model);
    if (change.isActive !== undefined) data.isActive = change.isActive;
    if (change.avatar !== undefined) data.avatar = change.avatar;
    if (change.settings !== undefined) data.settings = agentSettings(change.settings) as Prisma.InputJsonObject;
    if (change.allowedPeers !== undefined) data.allowedPeerIds = await this.peerIds(caller, change.allowedPeers);
    if (change.allowedTools !== undefined) data.allowedTools = change.allowedTools;
    if (change.allowedConnectors !== undefined) data.allowedConnectors = change.allowedConnectors;
    data.updatedAt = nextTimestamp(row.updatedAt);
    try {
      const updated = await this.prisma.$transaction(async (tx) => {
        const changed = await tx.agent.update({ where: { id: row.id, AND: [visible(caller, 'agent')] }, data });
        await this.activity.record(sqlThroughPrisma(tx), agentEntry(caller, changed, 'updated', Object.keys(change)));
        return changed;
      });
      const [agent] = await this.present(caller, [updated]);
      return agent!;
    } catch (err) {
      if (isUniqueViolation(err)) throw new ApiError('CONFLICT', `The slug ${body.slug} is already taken in this organization`);
      if (isMissingRow(err)) throw notFound('Agent');
      throw err;
    }
  }

  /**
   * Soft delete. Deleting an already deleted agent answers the same, with no side effect; by slug that
   * means the most recently deleted agent that had it, when no live agent has it now.
   */
  async remove(caller: Caller, ref: string): Promise<{ deleted: true }> {
    const row =
      (await this.prisma.agent.findFirst({ where: { ...byRef(ref), AND: [visible(caller, 'agent')] } })) ??
      (await this.prisma.agent.findFirst({
        where: { ...byRef(ref), deletedAt: { not: null }, AND: [visible(caller, 'agent', { deleted: true })] },
        orderBy: { deletedAt: 'desc' },
      }));
    if (!row) throw notFound('Agent');
    checkDeletable(row);
    if (row.deletedAt) return { deleted: true };
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.agent.updateMany({ where: { id: row.id, AND: [visible(caller, 'agent')] }, data: { deletedAt: new Date() } });
      // A concurrent DELETE that got there first wrote the row.
      if (count === 1) await this.activity.record(sqlThroughPrisma(tx), agentEntry(caller, row, 'deleted'));
    });
    return { deleted: true };
  }

  async peers(caller: Caller, ref: string): Promise<Agent[]> {
    const agent = await this.find(caller, ref);
    if (agent.allowedPeerIds.length === 0) return [];
    const rows = await this.prisma.agent.findMany({
      where: { id: { in: agent.allowedPeerIds }, AND: [visible(caller, 'agent')] },
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return this.present(caller, agent.allowedPeerIds.flatMap((id) => byId.get(id) ?? []));
  }

  /** The API form of agent rows: peer grants are shown as the peers' current slugs, in one query for all rows. */
  private async present(caller: Caller, rows: AgentRow[]): Promise<Agent[]> {
    const ids = [...new Set(rows.flatMap((r) => r.allowedPeerIds))];
    if (ids.length === 0) return rows.map((r) => toAgent(r));
    const peers = await this.sql<{ id: string; slug: string }>(PEER_SLUGS, [...scopeParams(caller), ids]);
    const slugs = new Map(peers.map((p) => [p.id, p.slug]));
    return rows.map((r) => toAgent(r, slugs));
  }

  /** The org's default model for new agents (PATCH /org) while the catalog has it, else the server's. */
  private async defaultModelOf(caller: Caller): Promise<string> {
    const org = await this.prisma.organization.findFirst({ where: ownOrg(caller), select: { defaultModel: true } });
    return org?.defaultModel && this.models.has(org.defaultModel) ? org.defaultModel : this.models.defaultModel;
  }

  /** A model id of the catalog, or 400 naming where the valid ids are. */
  private checkModel(model: string): string {
    if (!this.models.has(model)) {
      throw new ApiError('BAD_REQUEST', `Unknown model "${model}"; GET /api/v1/models lists the valid ids`, [
        { path: 'body.model', message: 'is not a model id from GET /api/v1/models' },
      ]);
    }
    return model;
  }

  /**
   * The ids behind the slugs of `allowedPeers`, which must name live agents the caller can see: a slug in a
   * workspace hidden from the caller is as unknown as a missing one, so the answer tells it nothing.
   */
  private async peerIds(caller: Caller, slugs: string[]): Promise<string[]> {
    if (slugs.length === 0) return [];
    const wanted = [...new Set(slugs.map((s) => s.toLowerCase()))];
    const found = await this.sql<{ id: string; slug: string }>(PEERS_BY_SLUG, [...scopeParams(caller), wanted]);
    const idOf = new Map(found.map((r) => [r.slug, r.id]));
    const unknown = wanted.filter((s) => !idOf.has(s));
    if (unknown.length > 0) {
      throw new ApiError('BAD_REQUEST', `allowedPeers names no agent you can see: ${unknown.join(', ')}`, [
        { path: 'body.allowedPeers', message: `unknown agents: ${unknown.join(', ')}` },
      ]);
    }
    return wanted.map((s) => idOf.get(s)!);
  }
}
