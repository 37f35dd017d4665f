import type { WebhookDelivery } from '../../generated/sdk/types.gen.js';
import type { PrismaClient } from '../db/database.js';
import { after, decodeCursor, toPage, type Page } from '../domain/pagination.js';
import { logWindowStart, requireRetryable, retryState } from '../domain/webhooks.js';
import { notFound } from '../errors.js';
import type { Caller } from './caller.js';
import { iso } from './serialize.js';
import type { WebhookStore } from './webhooks.js';

/**
 * The delivery log of an endpoint: its deliveries of the last 30 days with every attempt, and the retry of
 * one. A page costs a fixed number of statements: the endpoint, the deliveries, and their attempts.
 */

const ATTEMPTS = {
  select: { attemptedAt: true, statusCode: true, error: true, latencyMs: true, responseBody: true },
  orderBy: [{ attemptedAt: 'asc' as const }, { id: 'asc' as const }],
};

interface DeliveryRow {
  id: string;
  endpointId: string;
  activityId: string;
  eventType: string;
  status: string;
  attemptCount: number;
  nextAttemptAt: Date | null;
  createdAt: Date;
  attempts: Array<{ attemptedAt: Date; statusCode: number | null; error: string | null; latencyMs: number; responseBody: string | null }>;
}

const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  webhookId: r.endpointId,
  activityId: r.activityId,
  eventType: r.eventType as WebhookDelivery['eventType'],
  status: r.status as WebhookDelivery['status'],
  attemptCount: r.attemptCount,
  nextAttemptAt: r.nextAttemptAt ? iso(r.nextAttemptAt) : null,
  createdAt: iso(r.createdAt),
  attempts: r.attempts.map((a) => ({
    at: iso(a.attemptedAt),
    statusCode: a.statusCode,
    error: a.error,
    latencyMs: a.latencyMs,
    responseBody: a.responseBody,
  })),
});

export interface DeliveryQuery {
  limit?: number;
  cursor?: string;
  status?: WebhookDelivery['status'];
}

export class WebhookLogStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly endpoints: WebhookStore,
  ) {}

  /** Newest first; the endpoint decides who may read (owners and admins of its org) and 404s. */
  async deliveries(caller: Caller, id: string, query: DeliveryQuery): Promise<Page<WebhookDelivery>> {
    const endpoint = await this.endpoints.endpoint(caller, id);
    const limit = query.limit ?? 100;
    const rows = await this.prisma.webhookDelivery.findMany({
      where: {
        AND: [
          { endpointId: endpoint.id, createdAt: { gte: logWindowStart(new Date()) } },
          query.status !== undefined ? { status: query.status } : {},
          after('createdAt', decodeCursor(query.cursor)),
        ],
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
      include: { attempts: ATTEMPTS },
    });
    return toPage(rows, limit, (r) => r.createdAt, toDelivery);
  }

  /**
   * Due again now and off the queue: the delivery engine's relay enqueues it like any new delivery. Only
   * the database changes here, so a retry survives a crash between this answer and the attempt.
   */
  async retry(caller: Caller, id: string, deliveryId: string): Promise<WebhookDelivery> {
    const endpoint = await this.endpoints.endpoint(caller, id);
    const owned = { id: deliveryId, endpointId: endpoint.id };
    const exists = await this.prisma.webhookDelivery.count({ where: owned });
    if (exists === 0) throw notFound('Webhook delivery');
    requireRetryable(endpoint);
    const row = await this.prisma.webhookDelivery.update({ where: owned, data: retryState(new Date()), include: { attempts: ATTEMPTS } });
    return toDelivery(row);
  }
}
