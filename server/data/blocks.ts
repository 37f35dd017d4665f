import type { Block, BlockType, CreateBlockRequest, UpdateBlockRequest } from '../../generated/sdk/types.gen.js';
import { sqlThroughPrisma, type PrismaClient, type Sql } from '../db/database.js';
import { ApiError, notFound } from '../errors.js';
import {
  blockPreview,
  checkBlockContent,
  decodeBlockCursor,
  encodeBlockCursor,
  patchedContent,
  positionBetween,
  type BlockRef,
} from '../domain/blocks.js';
import type { Page } from '../domain/pagination.js';
import { actorPhrase } from '../domain/activity.js';
import { checkNotEmpty } from '../domain/projects.js';
import { actorOf, excerpt, type ActivityEntry, type ActivityLog } from './activity.js';
import type { Caller } from './caller.js';
import { lockProject, type ProjectStore } from './projects.js';
import { iso } from './serialize.js';
import { scopeParams, visibleSql } from './tenancy.js';

interface BlockRow {
  id: string;
  projectId: string;
  type: BlockType;
  content: Record<string, unknown>;
  position: string;
  createdAt: Date;
  updatedAt: Date;
}
type ProjectRef = { id: string; name: string; workspaceId: string | null };

const COLS = 'b.id, b."projectId", b.type::text AS type, b.content, b.position, b."createdAt", b."updatedAt"';
const PAGE = `SELECT ${COLS} FROM "Block" b WHERE b."projectId" = $1::uuid
  AND ($2::text IS NULL OR b.position > $2::text OR (b.position = $2::text AND b.id > $3::uuid))
  ORDER BY b.position, b.id LIMIT $4`;
const ONE = `SELECT ${COLS} FROM "Block" b WHERE b."projectId" = $1::uuid AND b.id = $2::uuid`;
// Neighbours, leaving out the block being moved ($3, or null on create).
const LAST = `SELECT max(position) AS p FROM "Block" WHERE "projectId" = $1::uuid AND id IS DISTINCT FROM $2::uuid`;
const NEXT = `SELECT min(position) AS p FROM "Block" WHERE "projectId" = $1::uuid AND id IS DISTINCT FROM $3::uuid
  AND ($2::text IS NULL OR position > $2::text)`;
const INSERT = `INSERT INTO "Block" AS b ("projectId", type, content, position) VALUES ($1::uuid, $2::"BlockType", $3::jsonb, $4)
  RETURNING ${COLS}`;
const UPDATE = `UPDATE "Block" AS b SET type = $3::"BlockType", content = $4::jsonb, position = $5, "updatedAt" = now()
  WHERE b."projectId" = $1::uuid AND b.id = $2::uuid RETURNING ${COLS}`;
const DELETE = `DELETE FROM "Block" b WHERE b."projectId" = $1::uuid AND b.id = $2::uuid RETURNING ${COLS}`;
const REF_SQL = {
  agent: `SELECT 1 FROM "Agent" t WHERE t.id = $4::uuid AND ${visibleSql('agent')}`,
  session: `SELECT 1 FROM "Session" t WHERE t.id = $4::uuid AND ${visibleSql('session')}`,
} as const;

export const toBlock = (r: BlockRow): Block => ({
  id: r.id,
  projectId: r.projectId,
  type: r.type,
  content: r.content,
  position: r.position,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});

const VERBS = { created: 'was added to', updated: 'was changed in', deleted: 'was removed from' } as const;

/** The activity row of a block change: subject the block, named by its type and a short excerpt. */
function blockEntry(caller: Caller, project: ProjectRef, block: BlockRow, verb: keyof typeof VERBS): ActivityEntry {
  const actor = actorOf(caller);
  const preview = excerpt(blockPreview(block.type, block.content));
  const name = preview ? `${block.type}: ${preview}` : `${block.type} block`;
  return {
    kind: `block.${verb}`,
    actor,
    subject: { type: 'block', id: block.id, name },
    orgId: caller.orgId,
    workspaceId: project.workspaceId,
    projectId: project.id,
    summary: `A ${block.type} block ${VERBS[verb]} project "${project.name}" by ${actorPhrase(actor)}`,
  };
}

/** The blocks of a project's canvas. Every write locks the project row first, so writes of one project queue. */
export class BlockStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly projects: ProjectStore,
    private readonly activity: ActivityLog,
    private readonly sql: Sql = sqlThroughPrisma(prisma),
  ) {}

  async list(caller: Caller, ref: string, query: { limit?: number; cursor?: string }): Promise<Page<Block>> {
    const limit = query.limit ?? 100;
    const from = decodeBlockCursor(query.cursor);
    const project = await this.projects.find(caller, ref);
    const rows = await this.sql<BlockRow>(PAGE, [project.id, from?.position ?? null, from?.id ?? null, limit + 1]);
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toBlock), limit, nextCursor: hasMore && last ? encodeBlockCursor(last) : null, hasMore };
  }

  async create(caller: Caller, ref: string, body: CreateBlockRequest): Promise<Block> {
    const target = checkBlockContent(body.type, body.content);
    return this.write(caller, ref, async (sql, project) => {
      await this.checkRef(sql, caller, target);
      const position = await this.slot(sql, project.id, body.afterBlockId, null);
      const [row] = await sql<BlockRow>(INSERT, [project.id, body.type, JSON.stringify(body.content), position]);
      return { row: row!, verb: 'created' };
    });
  }

  async update(caller: Caller, ref: string, blockId: string, body: UpdateBlockRequest): Promise<Block> {
    checkNotEmpty(body);
    return this.write(caller, ref, async (sql, project) => {
      const current = await this.block(sql, project.id, blockId);
      const change = patchedContent(current.type, body);
      if (change) await this.checkRef(sql, caller, checkBlockContent(change.type, change.content));
      if (body.afterBlockId === current.id) {
        throw new ApiError('VALIDATION_ERROR', 'A block cannot be placed after itself', [{ path: 'body.afterBlockId', message: 'is the block being moved' }]);
      }
      const position = body.afterBlockId === undefined ? current.position : await this.slot(sql, project.id, body.afterBlockId, current.id);
      const { type, content } = change ?? current;
      const [row] = await sql<BlockRow>(UPDATE, [project.id, current.id, type, JSON.stringify(content), position]);
      return { row: row!, verb: 'updated' };
    });
  }

  /** A hard delete: a repeated DELETE answers 404 and writes nothing. */
  async remove(caller: Caller, ref: string, blockId: string): Promise<{ deleted: true }> {
    await this.write(caller, ref, async (sql, project) => {
      const [row] = await sql<BlockRow>(DELETE, [project.id, blockId]);
      if (!row) throw notFound('Block');
      return { row, verb: 'deleted' };
    });
    return { deleted: true };
  }

  /** One block write and its activity row, in one transaction holding the project's row lock. */
  private async write(
    caller: Caller,
    ref: string,
    change: (sql: Sql, project: ProjectRef) => Promise<{ row: BlockRow; verb: keyof typeof VERBS }>,
  ): Promise<Block> {
    return this.prisma.$transaction(async (tx) => {
      const sql = sqlThroughPrisma(tx);
      const project = await lockProject(sql, caller, ref);
      const { row, verb } = await change(sql, project);
      await this.activity.record(sql, blockEntry(caller, project, row, verb));
      return toBlock(row);
    });
  }

  private async block(sql: Sql, projectId: string, blockId: string): Promise<BlockRow> {
    const [row] = await sql<BlockRow>(ONE, [projectId, blockId]);
    if (!row) throw notFound('Block');
    return row;
  }

  /**
   * The position right after `afterBlockId` (first for null, last for undefined), between it and its
   * current successor, leaving out `moving`. Safe from races: the project's row lock is held.
   */
  private async slot(sql: Sql, projectId: string, afterBlockId: string | null | undefined, moving: string | null): Promise<string> {
    if (afterBlockId === undefined) {
      const [last] = await sql<{ p: string | null }>(LAST, [projectId, moving]);
      return positionBetween(last?.p ?? null, null);
    }
    let before: string | null = null;
    if (afterBlockId !== null) {
      const [anchor] = await sql<BlockRow>(ONE, [projectId, afterBlockId]);
      if (!anchor) {
        throw new ApiError('VALIDATION_ERROR', 'afterBlockId names no block of this project', [
          { path: 'body.afterBlockId', message: 'is not a block of this project' },
        ]);
      }
      before = anchor.position;
    }
    const [next] = await sql<{ p: string | null }>(NEXT, [projectId, before, moving]);
    return positionBetween(before, next?.p ?? null);
  }

  /** An agent or session a block names must be live and visible to the caller; 400 otherwise, all alike. */
  private async checkRef(sql: Sql, caller: Caller, target: BlockRef | undefined): Promise<void> {
    if (!target) return;
    const [found] = await sql<unknown>(REF_SQL[target.kind], [...scopeParams(caller), target.id]);
    if (found) return;
    const field = target.kind === 'agent' ? 'agentId' : 'sessionId';
    throw new ApiError('BAD_REQUEST', `content.${field} names no ${target.kind} you can see`, [
      { path: `body.content.${field}`, message: `is not a ${target.kind} you can see` },
    ]);
  }
}
