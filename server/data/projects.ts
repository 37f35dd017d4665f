import { randomUUID } from 'node:crypto';
import type { CreateProjectRequest, Project, UpdateProjectRequest } from '../../generated/sdk/types.gen.js';
import { Prisma, isUniqueViolation, sqlThroughPrisma, type PrismaClient, type Sql } from '../db/database.js';
import { ApiError, notFound } from '../errors.js';
import { changeSummary, type ChangeVerb } from '../domain/activity.js';
import { after, decodeCursor, toPage, type Page } from '../domain/pagination.js';
import {
  checkNotEmpty,
  checkedProjectSlug,
  projectMetadata,
  projectName,
  projectSettings,
  projectSlugBase,
} from '../domain/projects.js';
import { byRef } from '../domain/slugs.js';
import { actorOf, insertActivitySql, type ActivityEntry, type ActivityLog } from './activity.js';
import type { Caller } from './caller.js';
import { iso, nextTimestamp } from './serialize.js';
import { SlugAllocator } from './slug-allocator.js';
import { listed, scopeParams, visible, visibleSql } from './tenancy.js';

type ProjectRow = Prisma.ProjectGetPayload<object>;

// Named columns rather than `*`, so a prepared statement survives a migration that adds one.
const ROW = Object.values(Prisma.ProjectScalarFieldEnum).map((c) => `t."${c}"`).join(', ');
// One statement with its activity row as a CTE: losing on the live-slug index fails both.
const INSERT_PROJECT = `
  WITH p AS (
    INSERT INTO "Project" AS t ("id", "orgId", "workspaceId", "name", "slug", "description", "metadata", "settings")
    VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6, $7::jsonb, $8::jsonb)
    RETURNING ${ROW}
  ), act AS (${insertActivitySql(9)})
  SELECT * FROM p`;
const LOCK_BY_ID = `SELECT ${ROW} FROM "Project" t WHERE t.id = $4::uuid AND ${visibleSql('project')} FOR UPDATE OF t`;
const LOCK_BY_SLUG = `SELECT ${ROW} FROM "Project" t WHERE t.slug = $4 AND ${visibleSql('project')} FOR UPDATE OF t`;

export function toProject(row: ProjectRow): Project {
  return {
    id: row.id,
    orgId: row.orgId,
    workspaceId: row.workspaceId,
    name: row.name,
    slug: row.slug,
    description: row.description,
    metadata: row.metadata as Project['metadata'],
    settings: row.settings as Project['settings'],
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/**
 * A live project the caller can see, by UUID or slug, with its row locked until `sql`'s transaction ends:
 * block writes of one project run one after another behind it. 404 otherwise.
 */
export async function lockProject(sql: Sql, caller: Caller, ref: string): Promise<ProjectRow> {
  const target = byRef(ref);
  const [row] = await sql<ProjectRow>('id' in target ? LOCK_BY_ID : LOCK_BY_SLUG, [
    ...scopeParams(caller),
    'id' in target ? target.id : target.slug,
  ]);
  if (!row) throw notFound('Project');
  return row;
}

/** The activity row of a change to `project`, scoped like the project. */
function projectEntry(caller: Caller, project: Pick<ProjectRow, 'id' | 'name' | 'workspaceId'>, verb: ChangeVerb, fields?: string[]): ActivityEntry {
  const actor = actorOf(caller);
  return {
    kind: `project.${verb}`,
    actor,
    subject: { type: 'project', id: project.id, name: project.name },
    orgId: caller.orgId,
    workspaceId: project.workspaceId,
    projectId: project.id,
    summary: changeSummary('Project', project.name, verb, actor, fields),
    details: fields ? { fields } : null,
  };
}

export class ProjectStore {
  private readonly slugs: SlugAllocator;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly activity: ActivityLog,
    sql: Sql = sqlThroughPrisma(prisma),
  ) {
    this.slugs = new SlugAllocator(prisma, sql, 'project');
  }

  /** A live project the caller can see, by UUID or slug; 404 otherwise. */
  async find(caller: Caller, ref: string): Promise<ProjectRow> {
    const row = await this.prisma.project.findFirst({ where: { ...byRef(ref), AND: [visible(caller, 'project')] } });
    if (!row) throw notFound('Project');
    return row;
  }

  async list(caller: Caller, query: { limit?: number; cursor?: string }): Promise<Page<Project>> {
    const limit = query.limit ?? 100;
    const rows = await this.prisma.project.findMany({
      where: { AND: [listed(caller, 'project'), after('updatedAt', decodeCursor(query.cursor))] },
      orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    return toPage(rows, limit, (r) => r.updatedAt, toProject);
  }

  async get(caller: Caller, ref: string): Promise<Project> {
    return toProject(await this.find(caller, ref));
  }

  async create(caller: Caller, body: CreateProjectRequest): Promise<Project> {
    const workspaceId = caller.currentWorkspaceId;
    if (!workspaceId) throw new ApiError('FORBIDDEN', 'You have no workspace to create the project in; ask an admin for access to one');
    const name = projectName(body.name);
    const metadata = JSON.stringify(projectMetadata(body.metadata ?? {}));
    const settings = JSON.stringify(projectSettings(body.settings ?? {}));
    const id = randomUUID();
    const entry = this.activity.params(projectEntry(caller, { id, name, workspaceId }, 'created'));
    const row = await this.slugs.create(
      caller.orgId,
      projectSlugBase(name),
      async (sql, slug) => {
        const [inserted] = await sql<ProjectRow>(INSERT_PROJECT, [
          id, caller.orgId, workspaceId, name, slug, body.description ?? null, metadata, settings, ...entry,
        ]);
        return inserted!;
      },
      'projects',
    );
    return toProject(row);
  }

  async update(caller: Caller, ref: string, body: UpdateProjectRequest): Promise<Project> {
    checkNotEmpty(body);
    const row = await this.find(caller, ref);
    const data: Prisma.ProjectUpdateInput = {};
    if (body.name !== undefined) data.name = projectName(body.name);
    if (body.slug !== undefined) data.slug = checkedProjectSlug(body.slug);
    if (body.description !== undefined) data.description = body.description;
    if (body.metadata !== undefined) data.metadata = projectMetadata(body.metadata) as Prisma.InputJsonObject;
    if (body.settings !== undefined) data.settings = projectSettings(body.settings) as Prisma.InputJsonObject;
    data.updatedAt = nextTimestamp(row.updatedAt);
    try {
      return toProject(
        await this.prisma.$transaction(async (tx) => {
          const changed = await tx.project.update({ where: { id: row.id, AND: [visible(caller, 'project')] }, data });
          await this.activity.record(sqlThroughPrisma(tx), projectEntry(caller, changed, 'updated', Object.keys(body)));
          return changed;
        }),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new ApiError('CONFLICT', `The slug ${body.slug} is already taken by a project in this organization`);
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025') throw notFound('Project');
      throw err;
    }
  }

  /**
   * Soft delete. Deleting an already deleted project answers the same and writes nothing; by slug that
   * means the most recently deleted project that had it, when no live project has it now.
   */
  async remove(caller: Caller, ref: string): Promise<{ deleted: true }> {
    const row =
      (await this.prisma.project.findFirst({ where: { ...byRef(ref), AND: [visible(caller, 'project')] } })) ??
      (await this.prisma.project.findFirst({
        where: { ...byRef(ref), deletedAt: { not: null }, AND: [visible(caller, 'project', { deleted: true })] },
        orderBy: { deletedAt: 'desc' },
      }));
    if (!row) throw notFound('Project');
    if (row.deletedAt) return { deleted: true };
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.project.updateMany({ where: { id: row.id, AND: [visible(caller, 'project')] }, data: { deletedAt: new Date() } });
      // A concurrent DELETE that got there first wrote the row.
      if (count === 1) await this.activity.record(sqlThroughPrisma(tx), projectEntry(caller, row, 'deleted'));
    });
    return { deleted: true };
  }
}
