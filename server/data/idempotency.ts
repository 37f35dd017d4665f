import { createHash } from 'node:crypto';
import type { Prisma, PrismaClient } from '../db/database.js';

export interface IdempotentRequest {
  orgId: string;
  key: string;
  method: string;
  path: string;
  body: unknown;
}

export type Reservation =
  | { kind: 'reserved' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'in-progress' }
  | { kind: 'mismatch'; what: string };

// A reservation never completed this long after it was made belongs to a request that died with its
// process (requests are bounded by the database timeout long before this): it is released.
const ABANDONED_AFTER_MS = 5 * 60 * 1000;

const fingerprint = (r: IdempotentRequest) =>
  createHash('sha256').update(`${r.method} ${r.path}\n${JSON.stringify(r.body ?? null)}`).digest('hex');

/** Stored outcomes of POSTs sent with an Idempotency-Key, per organization and key. */
export class IdempotencyStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly ttlMs: number,
  ) {}

  /**
   * Claims the key for this request, or says what to answer instead. The INSERT decides races: of several
   * concurrent requests with one key, exactly one reserves it.
   */
  async reserve(r: IdempotentRequest): Promise<Reservation> {
    const print = fingerprint(r);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    // An expired record is gone for every purpose, even before the purge runs; so is an abandoned one.
    await this.prisma.idempotencyKey.deleteMany({
      where: {
        orgId: r.orgId,
        key: r.key,
        OR: [{ expiresAt: { lte: now } }, { completedAt: null, createdAt: { lte: new Date(now.getTime() - ABANDONED_AFTER_MS) } }],
      },
    });
    const inserted = await this.prisma.$executeRaw`
      INSERT INTO "IdempotencyKey" ("orgId", "key", "fingerprint", "method", "path", "createdAt", "expiresAt")
      VALUES (${r.orgId}::uuid, ${r.key}, ${print}, ${r.method}, ${r.path}, ${now}, ${expiresAt})
      ON CONFLICT DO NOTHING`;
    if (inserted === 1) return { kind: 'reserved' };
    const existing = await this.prisma.idempotencyKey.findUnique({ where: { orgId_key: { orgId: r.orgId, key: r.key } } });
    // Released by a failed first attempt between our INSERT and this read: the retry may run.
    if (!existing) return this.reserve(r);
    if (existing.method !== r.method || existing.path !== r.path) {
      return { kind: 'mismatch', what: `it was first used for ${existing.method} ${existing.path}` };
    }
    if (existing.fingerprint !== print) return { kind: 'mismatch', what: 'it was first used with a different body' };
    if (existing.completedAt === null || existing.responseStatus === null) return { kind: 'in-progress' };
    return { kind: 'replay', status: existing.responseStatus, body: existing.responseBody };
  }

  complete(r: IdempotentRequest, status: number, body: unknown): Promise<unknown> {
    return this.prisma.idempotencyKey.update({
      where: { orgId_key: { orgId: r.orgId, key: r.key } },
      data: { responseStatus: status, responseBody: body as Prisma.InputJsonValue, completedAt: new Date() },
    });
  }

  release(r: IdempotentRequest): Promise<unknown> {
    return this.prisma.idempotencyKey.deleteMany({ where: { orgId: r.orgId, key: r.key, completedAt: null } });
  }

  /** Deletes expired records; the server runs it on a schedule. Returns how many went. */
  async purgeExpired(now = new Date()): Promise<number> {
    return (await this.prisma.idempotencyKey.deleteMany({ where: { expiresAt: { lte: now } } })).count;
  }
}
