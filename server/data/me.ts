import type { Me } from '../../generated/sdk/types.gen.js';
import type { PrismaClient } from '../db/database.js';
import { notFound } from '../errors.js';
import type { Caller } from './caller.js';
import { toWorkspace } from './workspaces.js';

export class MeStore {
  constructor(private readonly prisma: PrismaClient) {}

  async get(caller: Caller): Promise<Me> {
    const [user, org, workspace] = await Promise.all([
      this.prisma.user.findUnique({ where: { id: caller.userId } }),
      this.prisma.organization.findUnique({ where: { id: caller.orgId } }),
      caller.currentWorkspaceId ? this.prisma.workspace.findUnique({ where: { id: caller.currentWorkspaceId } }) : null,
    ]);
    // The key was just authenticated against these rows; losing them in between is a race with deletion.
    if (!user || !org) throw notFound('User');
    return {
      user: { id: user.id, email: user.email, name: user.name },
      org: { id: org.id, slug: org.slug, name: org.name },
      role: caller.role,
      currentWorkspace: workspace ? toWorkspace(workspace) : null,
      // A dashboard session has no key to describe.
      apiKey: caller.keyId && caller.keyPrefix ? { id: caller.keyId, prefix: caller.keyPrefix, scopes: caller.scopes, env: caller.keyEnv } : null,
    };
  }
}
