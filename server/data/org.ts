import type { Organization, UpdateOrgData } from '../../generated/sdk/types.gen.js';
import { actorPhrase } from '../domain/activity.js';
import { sqlThroughPrisma, type PrismaClient } from '../db/database.js';
import { requireManager } from '../domain/members.js';
import { ApiError, notFound } from '../errors.js';
import { actorOf, type ActivityLog } from './activity.js';
import type { Caller } from './caller.js';
import type { ModelCatalog } from './models.js';
import { iso } from './serialize.js';
import { ownOrg } from './tenancy.js';

type OrgRow = { id: string; slug: string; name: string; defaultModel: string | null; createdAt: Date; updatedAt: Date };

const toOrg = (r: OrgRow): Organization => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  defaultModel: r.defaultModel,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});
const SELECT = { id: true, slug: true, name: true, defaultModel: true, createdAt: true, updatedAt: true } as const;

/** The caller's organization and its settings (PATCH /org). */
export class OrgStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly models: ModelCatalog,
    private readonly activity: ActivityLog,
  ) {}

  async get(caller: Caller): Promise<Organization> {
    const row = await this.prisma.organization.findFirst({ where: ownOrg(caller), select: SELECT });
    if (!row) throw notFound('Organization');
    return toOrg(row);
  }

  async update(caller: Caller, body: UpdateOrgData['body']): Promise<Organization> {
    requireManager(caller.role);
    const data: { name?: string; defaultModel?: string | null } = {};
    if (body.name !== undefined) {
      const name = body.name.trim();
      if (name.length === 0) throw new ApiError('VALIDATION_ERROR', 'name must not be blank', [{ path: 'body.name', message: 'must not be blank' }]);
      data.name = name;
    }
    if (body.defaultModel !== undefined) {
      if (body.defaultModel !== null && !this.models.has(body.defaultModel)) {
        throw new ApiError('BAD_REQUEST', `Unknown model "${body.defaultModel}"; GET /api/v1/models lists the valid ids`, [
          { path: 'body.defaultModel', message: 'is not a model id from GET /api/v1/models' },
        ]);
      }
      data.defaultModel = body.defaultModel;
    }
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.organization.updateMany({ where: ownOrg(caller), data });
      if (count === 0) throw notFound('Organization');
      const row = await tx.organization.findFirstOrThrow({ where: ownOrg(caller), select: SELECT });
      const actor = actorOf(caller);
      const fields = Object.keys(data);
      await this.activity.record(sqlThroughPrisma(tx), {
        kind: 'org.updated',
        actor,
        subject: { type: 'organization', id: row.id, name: row.name },
        orgId: row.id,
        workspaceId: null,
        summary: `Organization "${row.name}" was updated (${fields.join(', ')}) by ${actorPhrase(actor)}`,
      });
      return toOrg(row);
    });
  }
}
