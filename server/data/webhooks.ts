import type { CreateWebhookData, UpdateWebhookData, Webhook, WebhookWithSecret } from '../../generated/sdk/types.gen.js';
import type { Config } from '../config.js';
import { sqlThroughPrisma, type PrismaClient } from '../db/database.js';
import { requireManager } from '../domain/members.js';
import { after, decodeCursor, toPage, type Page } from '../domain/pagination.js';
import { parseWebhookUrl, resolveTarget } from '../domain/webhook-urls.js';
import { abandonedState, checkEvents, enablement, mintWebhookSecret, rotation, webhookActivity } from '../domain/webhooks.js';
import { notFound } from '../errors.js';
import { actorOf, type ActivityLog } from './activity.js';
import type { Caller } from './caller.js';
import type { SecretBox } from './secret-box.js';
import { iso } from './serialize.js';
import { orgWebhooks } from './tenancy.js';

/**
 * Webhook endpoints: created, changed, deleted and rotated by owners and admins (the contract makes those
 * browser-only), read by them with a key too. The signing secret is stored only sealed and returned only by
 * the create and rotate answers.
 */

export interface EndpointRow {
  id: string;
  orgId: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: Date | null;
  secretRotatedAt: Date | null;
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

// Every column but the secrets: a read can never hand one out by accident.
const SELECT = {
  id: true,
  orgId: true,
  url: true,
  description: true,
  events: true,
  enabled: true,
  disabledReason: true,
  disabledAt: true,
  secretRotatedAt: true,
  previousSecretExpiresAt: true,
  createdAt: true,
  updatedAt: true,
  deletedAt: true,
} as const;

const nullableIso = (d: Date | null) => (d ? iso(d) : null);

export const toWebhook = (r: EndpointRow): Webhook => ({
  id: r.id,
  url: r.url,
  description: r.description,
  events: r.events,
  enabled: r.enabled,
  disabledReason: r.disabledReason as Webhook['disabledReason'],
  disabledAt: nullableIso(r.disabledAt),
  secretRotatedAt: nullableIso(r.secretRotatedAt),
  previousSecretExpiresAt: nullableIso(r.previousSecretExpiresAt),
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});

export class WebhookStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly activity: ActivityLog,
    private readonly secretBox: SecretBox,
    private readonly policy: Config['webhooks'],
  ) {}

  /** The URL as a target: its form, and where its host resolves to (422 on `url` otherwise). */
  private async checkUrl(raw: string): Promise<string> {
    await resolveTarget(parseWebhookUrl(raw, this.policy), this.policy);
    return raw;
  }

  /** A live endpoint of the caller's org, for an owner or admin; 403 for members, 404 when missing. */
  async endpoint(caller: Caller, id: string, options: { deleted?: boolean } = {}): Promise<EndpointRow> {
    requireManager(caller.role);
    const row = await this.prisma.webhookEndpoint.findFirst({ where: { id, ...orgWebhooks(caller, options) }, select: SELECT });
    if (!row) throw notFound('Webhook');
    return row;
  }

  async create(caller: Caller, body: CreateWebhookData['body']): Promise<WebhookWithSecret> {
    requireManager(caller.role);
    const events = checkEvents(body.events);
    const url = await this.checkUrl(body.url);
    const secret = mintWebhookSecret();
    const row = await this.prisma.$transaction(async (tx) => {
      const created = await tx.webhookEndpoint.create({
        data: {
          orgId: caller.orgId,
          url,
          events,
          description: body.description ?? '',
          secret: this.secretBox.seal(secret),
          createdByUserId: caller.userId,
        },
        select: SELECT,
      });
      await this.activity.record(sqlThroughPrisma(tx), webhookActivity('created', actorOf(caller), created, caller.userId));
      return created;
    });
    return { ...toWebhook(row), secret };
  }

  async list(caller: Caller, query: { limit?: number; cursor?: string }): Promise<Page<Webhook>> {
    requireManager(caller.role);
    const limit = query.limit ?? 100;
    const rows = await this.prisma.webhookEndpoint.findMany({
      where: { AND: [orgWebhooks(caller), after('createdAt', decodeCursor(query.cursor))] },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
      select: SELECT,
    });
    return toPage(rows, limit, (r) => r.createdAt, toWebhook);
  }

  async get(caller: Caller, id: string): Promise<Webhook> {
    return toWebhook(await this.endpoint(caller, id));
  }

  /**
   * Changes the given fields. Disabling gives up the deliveries still waiting, as deleting does: an
   * endpoint enabled again receives new activity, and an old delivery only when retried.
   */
  async update(caller: Caller, id: string, body: UpdateWebhookData['body']): Promise<Webhook> {
    const current = await this.endpoint(caller, id);
    const now = new Date();
    const data = {
      ...(body.url !== undefined ? { url: await this.checkUrl(body.url) } : {}),
      ...(body.events !== undefined ? { events: checkEvents(body.events) } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.enabled !== undefined ? enablement(current, body.enabled, now) : {}),
      updatedAt: now,
    };
    const fields = Object.keys(body).sort();
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.webhookEndpoint.updateMany({ where: { id, ...orgWebhooks(caller) }, data });
      if (count === 0) throw notFound('Webhook');
      if (body.enabled === false) {
        await tx.webhookDelivery.updateMany({ where: { endpointId: id, status: 'pending' }, data: abandonedState(now) });
      }
      const row = await tx.webhookEndpoint.findFirstOrThrow({ where: { id }, select: SELECT });
      await this.activity.record(sqlThroughPrisma(tx), webhookActivity('updated', actorOf(caller), row, caller.userId, fields));
      return toWebhook(row);
    });
  }

  /**
   * Soft-deletes the endpoint and gives up its waiting deliveries in the same transaction, so none is sent
   * after the answer. A repeated delete answers the same; only the one that deleted writes the row.
   */
  async delete(caller: Caller, id: string): Promise<{ deleted: true }> {
    const endpoint = await this.endpoint(caller, id, { deleted: true });
    const now = new Date();
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.webhookEndpoint.updateMany({ where: { id, ...orgWebhooks(caller) }, data: { deletedAt: now } });
      if (count === 0) return;
      await tx.webhookDelivery.updateMany({ where: { endpointId: id, status: 'pending' }, data: abandonedState(now) });
      await this.activity.record(sqlThroughPrisma(tx), webhookActivity('deleted', actorOf(caller), endpoint, caller.userId));
    });
    return { deleted: true };
  }

  /** A new secret, shown in this answer only; the old one keeps signing for the overlap. */
  async rotateSecret(caller: Caller, id: string): Promise<WebhookWithSecret> {
    await this.endpoint(caller, id);
    const secret = mintWebhookSecret();
    const now = new Date();
    return this.prisma.$transaction(async (tx) => {
      // Read the current secret inside the transaction, locked: two rotations at once keep a consistent pair.
      const [locked] = await sqlThroughPrisma(tx)<{ secret: string }>('SELECT secret FROM "WebhookEndpoint" WHERE id = $1::uuid FOR UPDATE', [id]);
      if (!locked) throw notFound('Webhook');
      const { count } = await tx.webhookEndpoint.updateMany({
        where: { id, ...orgWebhooks(caller) },
        data: rotation(this.secretBox.seal(secret), locked.secret, now),
      });
      if (count === 0) throw notFound('Webhook');
      const row = await tx.webhookEndpoint.findFirstOrThrow({ where: { id }, select: SELECT });
      await this.activity.record(sqlThroughPrisma(tx), webhookActivity('secret_rotated', actorOf(caller), row, caller.userId));
      return { ...toWebhook(row), secret };
    });
  }
}
