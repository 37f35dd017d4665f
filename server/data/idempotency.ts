import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Prisma, PrismaClient } from '../db/database.js';

export interface IdempotentRequest {
  /** The API key that sent the request: records are scoped to it. */
  apiKeyId: string;
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
  | { kind: 'mismatch' };

// A reservation never completed this long after it was made belongs to a request that died with its
// process (requests are bounded by the database timeout long before this): it is released.
const ABANDONED_AFTER_MS = 5 * 60 * 1000;

/** JSON with every object's keys sorted, so the same body sent with its keys in another order is the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const fingerprint = (r: IdempotentRequest) => createHash('sha256').update(`${r.method} ${r.path}\n${canonicalJson(r.body)}`).digest('hex');

/** Stored outcomes of POSTs sent with an Idempotency-Key, per API key and Idempotency-Key. */
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
        apiKeyId: r.apiKeyId,
        key: r.key,
        OR: [{ expiresAt: { lte: now } }, { completedAt: null, createdAt: { lte: new Date(now.getTime() - ABANDONED_AFTER_MS) } }],
      },
    });
    const inserted = await this.prisma.$executeRaw`
      INSERT INTO "IdempotencyKey" ("apiKeyId", "orgId", "key", "fingerprint", "method", "path", "createdAt", "expiresAt")
      VALUES (${r.apiKeyId}::uuid, ${r.orgId}::uuid, ${r.key}, ${print}, ${r.method}, ${r.path}, ${now}, ${expiresAt})
      ON CONFLICT DO NOTHING`;
    if (inserted === 1) return { kind: 'reserved' };
    const existing = await this.prisma.idempotencyKey.findUnique({ where: { apiKeyId_key: { apiKeyId: r.apiKeyId, key: r.key } } });
    // Released by a failed first attempt between our INSERT and this read: the retry may run.
    if (!existing) return this.reserve(r);
    // The fingerprint covers method, path and body; the first request is not described, only refused.
    if (existing.fingerprint !== print) return { kind: 'mismatch' };
    if (existing.completedAt === null || existing.responseStatus === null) return { kind: 'in-progress' };
    return { kind: 'replay', status: existing.responseStatus, body: existing.responseBody };
  }

  complete(r: IdempotentRequest, status: number, body: unknown): Promise<unknown> {
    return this.prisma.idempotencyKey.update({
      where: { apiKeyId_key: { apiKeyId: r.apiKeyId, key: r.key } },
      data: { responseStatus: status, responseBody: body as Prisma.InputJsonValue, completedAt: new Date() },
    });
  }

  release(r: IdempotentRequest): Promise<unknown> {
    return this.prisma.idempotencyKey.deleteMany({ where: { apiKeyId: r.apiKeyId, key: r.key, completedAt: null } });
  }

  /** Deletes expired records; the server runs it on a schedule. Returns how many went. */
  async purgeExpired(now = new Date()): Promise<number> {
    return (await this.prisma.idempotencyKey.deleteMany({ where: { expiresAt: { lte: now } } })).count;
  }
}

/**
 * Secrets in a stored answer (the plaintext of a freshly minted API key) must not be stored as such: only
 * a key's hash is kept anywhere. They are sealed with AES-256-GCM under a key derived from the caller's
 * own API key, which the database does not hold either, so only the caller's retry can open them.
 */
const SECRET = /alm_(?:live|test)_[0-9a-f]{48}/g;
const SEALED = '$sealed';

function sealingKey(callerKey: string, r: IdempotentRequest): Buffer {
  return Buffer.from(hkdfSync('sha256', callerKey, r.apiKeyId, `alumia idempotency ${r.key}`, 32));
}

/** The body with every secret string replaced by `{ "$sealed": "<iv|tag|ciphertext>" }`. */
export function sealSecrets(body: unknown, callerKey: string, r: IdempotentRequest): unknown {
  let key: Buffer | undefined;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string' && v.match(SECRET)) {
      key ??= sealingKey(callerKey, r);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(v, 'utf8'), cipher.final()]);
      return { [SEALED]: Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64') };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(body);
}

/** The stored body with its secrets opened again, or undefined when `callerKey` cannot open them. */
export function openSecrets(body: unknown, callerKey: string, r: IdempotentRequest): { body: unknown } | undefined {
  let key: Buffer | undefined;
  let failed = false;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const sealed = (v as Record<string, unknown>)[SEALED];
      if (typeof sealed === 'string' && Object.keys(v).length === 1) {
        try {
          key ??= sealingKey(callerKey, r);
          const raw = Buffer.from(sealed, 'base64');
          const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
          decipher.setAuthTag(raw.subarray(12, 28));
          return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
        } catch {
          failed = true;
          return null;
        }
      }
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  const opened = walk(body);
  return failed ? undefined : { body: opened };
}

