import type { ShareLink } from '../../generated/sdk/types.gen.js';
import { sqlThroughPrisma, type PrismaClient } from '../db/database.js';
import { notFound } from '../errors.js';
import { checkExpiry, hashShareToken, linkIsLive, mintShareToken, shareLinkActivity, sharedBlock, type SharedProject } from '../domain/share-links.js';
import { byRef } from '../domain/slugs.js';
import { actorOf, type ActivityLog } from './activity.js';
import type { Caller } from './caller.js';
import { iso } from './serialize.js';
import { sharedProject, visible } from './tenancy.js';

/** A page shows at most this many blocks, in order. */
const SHARED_BLOCKS = 1000;

interface LinkRow {
  id: string;
  projectId: string;
  createdByUserId: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

const toShareLink = (row: LinkRow): ShareLink => ({
  id: row.id,
  projectId: row.projectId,
  createdAt: iso(row.createdAt),
  expiresAt: row.expiresAt ? iso(row.expiresAt) : null,
  revokedAt: row.revokedAt ? iso(row.revokedAt) : null,
  createdBy: row.createdByUserId,
});

export class ShareLinkStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly activity: ActivityLog,
  ) {}

  /** A live project the caller can see, by UUID or slug; 404 otherwise. */
  private async project(caller: Caller, ref: string) {
    const row = await this.prisma.project.findFirst({ where: { AND: [byRef(ref), visible(caller, 'project')] } });
    if (!row) throw notFound('Project');
    return row;
  }

  /** Mints a link; its token is in this answer only (`url`), the database keeps its hash. */
  async create(caller: Caller, ref: string, body: { expiresAt?: string | null } | undefined, origin: string) {
    const project = await this.project(caller, ref);
    const expiresAt = checkExpiry(body?.expiresAt, new Date());
    const token = mintShareToken();
    const row = await this.prisma.$transaction(async (tx) => {
      const created = await tx.shareLink.create({
        data: { projectId: project.id, tokenHash: hashShareToken(token), createdByUserId: caller.userId, expiresAt },
      });
      await this.activity.record(sqlThroughPrisma(tx), shareLinkActivity('created', actorOf(caller), project, created.id));
      return created;
    });
    return { id: row.id, projectId: row.projectId, url: `${origin}/share/${token}`, expiresAt: row.expiresAt ? iso(row.expiresAt) : null, createdAt: iso(row.createdAt) };
  }

  async list(caller: Caller, ref: string): Promise<{ items: ShareLink[] }> {
    const project = await this.project(caller, ref);
    const rows = await this.prisma.shareLink.findMany({ where: { projectId: project.id }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    return { items: rows.map(toShareLink) };
  }

  /** Revoking a revoked link answers the same; only the revoke that flips revokedAt writes the row. */
  async revoke(caller: Caller, ref: string, linkId: string): Promise<{ deleted: true }> {
    const project = await this.project(caller, ref);
    const link = await this.prisma.shareLink.findFirst({ where: { id: linkId, projectId: project.id } });
    if (!link) throw notFound('Share link');
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.shareLink.updateMany({ where: { id: link.id, revokedAt: null }, data: { revokedAt: new Date() } });
      if (count === 1) await this.activity.record(sqlThroughPrisma(tx), shareLinkActivity('revoked', actorOf(caller), project, link.id));
    });
    return { deleted: true };
  }

  /** What a token shows, or 404 alike for an unknown, revoked or expired link and a deleted project. */
  async shared(token: string): Promise<SharedProject> {
    const link = await this.prisma.shareLink.findUnique({
      where: { tokenHash: hashShareToken(token) },
      select: { revokedAt: true, expiresAt: true, projectId: true },
    });
    const project =
      link && linkIsLive(link, new Date())
        ? await this.prisma.project.findFirst({ where: { id: link.projectId, AND: [sharedProject()] }, select: { id: true, name: true, description: true } })
        : null;
    if (!project) throw notFound('Shared project');
    const blocks = await this.prisma.block.findMany({
      where: { projectId: project.id },
      select: { type: true, content: true },
      orderBy: [{ position: 'asc' }, { id: 'asc' }],
      take: SHARED_BLOCKS,
    });
    return {
      name: project.name,
      description: project.description,
      blocks: blocks.map((b) => sharedBlock(b.type, b.content as Record<string, unknown>)),
    };
  }
}
