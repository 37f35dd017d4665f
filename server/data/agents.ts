import type { Agent, AgentSettings, CreateAgentRequest, UpdateAgentRequest } from '../../generated/sdk/types.gen.js';
import { Prisma, isUniqueViolation, sqlThroughPrisma, type PrismaClient, type Sql } from '../db/database.js';
import { ApiError, notFound } from '../errors.js';
import type { Caller } from './caller.js';
import type { ModelCatalog } from './models.js';
import { after, decodeCursor, toPage, type Page } from '../domain/pagination.js';
import { iso, nextTimestamp } from './serialize.js';
import { agentName } from '../domain/agent-names.js';
import { ALA_SLUG, agentSettings, alaPatch, checkDeletable, checkedSlug } from '../domain/agents.js';
import { byRef, slugify } from '../domain/slugs.js';
import { DEFAULT_VOICE } from '../domain/voice.js';
import { listed, orgWide, orgWideSql, scopeParams, visible, visibleSql } from './tenancy.js';

type AgentRow = Prisma.AgentGetPayload<object>;

const DEFAULT_AVATAR = 'default';
const SLUG_PROBES = 64;
const SLUG_RETRIES = 50;

// Agent lookups run on nearly every /agents request, so they skip the ORM (see Sql). The columns are the
// model's, named rather than `*`: a prepared `*` fails once a migration adds a column under a running server.
const ROW = Object.values(Prisma.AgentScalarFieldEnum).map((c) => `t."${c}"`).join(', ');
const FIND_BY_ID = `SELECT ${ROW} FROM "Agent" t WHERE t.id = $4::uuid AND ${visibleSql('agent')} LIMIT 1`;
const FIND_BY_SLUG = `SELECT ${ROW} FROM "Agent" t WHERE t.slug = $4 AND ${visibleSql('agent')} LIMIT 1`;
// Peer grants are stored as ids and shown as slugs.
const PEER_SLUGS = `SELECT t.id, t.slug FROM "Agent" t WHERE t.id = ANY($4::uuid[]) AND ${visibleSql('agent')}`;
const PEERS_BY_SLUG = `SELECT t.id, t.slug FROM "Agent" t WHERE t.slug = ANY($4::text[]) AND ${visibleSql('agent')}`;
// So do the statements of a create.
const TAKEN_SLUGS = `SELECT slug FROM "Agent" WHERE ${orgWideSql('agent')} AND slug = ANY($2::text[])`;
const HIGHEST_SLUG_SUFFIX = `
  SELECT COALESCE(MAX(substring(slug FROM $3::int)::int), 1)::int AS n
  FROM "Agent"
  WHERE ${orgWideSql('agent')} AND starts_with(slug, $2) AND substring(slug FROM $3::int) ~ '^[0-9]{1,9}$'`;
const INSERT_AGENT = `
  INSERT INTO "Agent" AS t ("orgId", "workspaceId", "name", "slug", "description", "avatar", "model", "systemPrompt",
                            "allowedTools", "allowedPeerIds", "allowedConnectors", "settings")
  VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9::text[], $10::uuid[], $11::text[], $12::jsonb)
  RETURNING ${ROW}`;

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



export class AgentStore {
  /** Orgs known to have their Ala, so the insert-if-missing runs once per org and process. */
  private readonly orgsWithAla = new Set<string>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly models: ModelCatalog,
    /** The plan's agents per organization, Ala included; 0 for no limit. */
    private readonly agentLimit = 0,
    private readonly sql: Sql = sqlThroughPrisma(prisma),
  ) {}

  /**
   * Every org has exactly one Ala, created by whichever call needs it first. Concurrent first calls race
   * on the one-default-per-org unique index; ON CONFLICT makes the losers no-ops instead of errors.
   */
  async ensureAla(orgId: string): Promise<void> {
    if (this.orgsWithAla.has(orgId)) return;
    const settings = JSON.stringify({ voice: DEFAULT_VOICE });
    await this.prisma.$executeRaw`
      INSERT INTO "Agent" ("orgId", "name", "slug", "description", "avatar", "model", "isDefault", "settings")
      VALUES (${orgId}::uuid, 'Ala', ${ALA_SLUG}, 'The organization''s default assistant.', 'ala', ${this.models.alaModel}, true, ${settings}::jsonb)
      ON CONFLICT DO NOTHING`;
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
    const model = this.checkModel(body.model ?? this.models.defaultModel);
    const peerIds = body.allowedPeers ? await this.peerIds(caller, body.allowedPeers) : [];
    const settings = JSON.stringify(agentSettings(body.settings ?? {}));
    const base = slugify(name);
    const insert = async (sql: Sql) => {
      const slug = await this.nextFreeSlug(sql, caller.orgId, base);
      const [row] = await sql<AgentRow>(INSERT_AGENT, [
        caller.orgId, caller.currentWorkspaceId, name, slug, body.description ?? null, body.avatar ?? DEFAULT_AVATAR, model,
        body.systemPrompt ?? null, body.allowedTools ?? [], peerIds, body.allowedConnectors ?? [], settings,
      ]);
      const [agent] = await this.present(caller, [row!]);
      return agent!;
    };
    // Optimistic first: the next free slug, and the live-slug unique index as referee. Losers retry under
    // an advisory lock on (org, base), so a burst of creates with one name queues up instead of colliding
    // again and again; a locked attempt can still lose to another request's optimistic first attempt, and
    // each such loss means someone else succeeded, so the retries are bounded by the burst.
    for (let attempt = 0; attempt <= SLUG_RETRIES; attempt++) {
      try {
        if (attempt === 0) return await insert(this.sql);
        return await this.prisma.$transaction(async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${caller.orgId}:${base}`}, 0))`;
          return insert(sqlThroughPrisma(tx));
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
    throw new ApiError('CONFLICT', 'Too many agents are being created with this name at once; retry the request');
  }

  /**
   * The lowest free slug among `base`, `base-2` ... `base-64`, found by index lookups; past that (a name
   * used 64 times) one past the highest suffix in use. A prefix scan would read every slug of the org,
   * since the column's collation is not bytewise.
   */
  private async nextFreeSlug(sql: Sql, orgId: string, base: string): Promise<string> {
    const candidates = Array.from({ length: SLUG_PROBES }, (_, i) => (i === 0 ? base : `${base}-${i + 1}`));
    const taken = await sql<{ slug: string }>(TAKEN_SLUGS, [orgId, candidates]);
    const used = new Set(taken.map((r) => r.slug));
    const free = candidates.find((c) => !used.has(c));
    if (free) return free;
    const [row] = await sql<{ n: number }>(HIGHEST_SLUG_SUFFIX, [orgId, `${base}-`, base.length + 2]);
    return `${base}-${(row?.n ?? 1) + 1}`;
  }

  async update(caller: Caller, ref: string, body: UpdateAgentRequest): Promise<Agent> {
    if (Object.keys(body).length === 0) throw new ApiError('BAD_REQUEST', 'The body is empty: send at least one field to change');
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
      const updated = await this.prisma.agent.update({ where: { id: row.id, AND: [visible(caller, 'agent')] }, data });
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
    if (!row.deletedAt) await this.prisma.agent.updateMany({ where: { id: row.id, AND: [visible(caller, 'agent')] }, data: { deletedAt: new Date() } });
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
