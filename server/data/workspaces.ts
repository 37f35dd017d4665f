import type { Workspace } from '../../generated/sdk/types.gen.js';
import type { Prisma, PrismaClient } from '../db/database.js';
import { notFound } from '../errors.js';
import type { Caller } from './caller.js';
import { visibleWorkspaces } from './tenancy.js';
import { iso } from './serialize.js';

export function toWorkspace(row: Prisma.WorkspaceGetPayload<object>): Workspace {
  return { id: row.id, orgId: row.orgId, slug: row.slug, name: row.name, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt) };
}

export class WorkspaceStore {
  constructor(private readonly prisma: PrismaClient) {}

  async list(caller: Caller): Promise<Workspace[]> {
    const rows = await this.prisma.workspace.findMany({
      where: visibleWorkspaces(caller),
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toWorkspace);
  }

  async get(caller: Caller, id: string): Promise<Workspace> {
    const row = await this.prisma.workspace.findFirst({ where: { id, ...visibleWorkspaces(caller) } });
    if (!row) throw notFound('Workspace');
    return toWorkspace(row);
  }
}
