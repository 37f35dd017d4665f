import type { ApiKey, ApiKeyCreated, CreateApiKeyRequest, Role, Scope } from '../../generated/sdk/types.gen.js';
import { changeSummary } from '../domain/activity.js';
import { sqlThroughPrisma, type Prisma, type PrismaClient, type Sql } from '../db/database.js';
import type { RevocationBus } from '../revocations.js';
import { ApiError, notFound } from '../errors.js';
import { KEY_PATTERN, bearerToken, generateKey, hashKey, type KeyEnv } from '../domain/keys.js';
import { after, decodeCursor, toPage, type Page } from '../domain/pagination.js';
import { actorOf, type ActivityEntry, type ActivityLog, type Actor } from './activity.js';
import { hasScope, type Caller } from './caller.js';
import { visibleKeys, workspaceVisibleSql } from './tenancy.js';
import { iso, isoOrNull } from './serialize.js';

type Tx = Prisma.TransactionClient | PrismaClient;
type ApiKeyRow = Prisma.ApiKeyGetPayload<object>;

export async function mintKey(
  tx: Tx,
  input: { orgId: string; userId: string; name: string; scopes: Scope[]; env: 'live' | 'test'; expiresAt: Date | null },
): Promise<ApiKeyCreated> {
  const { key, prefix, hash } = generateKey(input.env);
  const row = await tx.apiKey.create({
    data: { orgId: input.orgId, userId: input.userId, name: input.name, scopes: input.scopes, env: input.env, expiresAt: input.expiresAt, prefix, hash },
  });
  return { ...toApiKey(row), key };
}

/**
 * A key's activity row: the key by its name only (never the key or its hash), org-wide, and private to the
 * key's user, whom owners and admins see too (as `visibleKeys`).
 */
export function keyActivity(kind: 'api_key.minted' | 'api_key.revoked', actor: Actor, key: { id: string; orgId: string; userId: string; name: string }): ActivityEntry {
  return {
    kind,
    actor,
    subject: { type: 'api_key', id: key.id, name: key.name },
    orgId: key.orgId,
    workspaceId: null,
    privateToUserId: key.userId,
    summary: changeSummary('API key', key.name, kind === 'api_key.minted' ? 'minted' : 'revoked', actor),
  };
}

export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes as Scope[],
    env: row.env,
    createdAt: iso(row.createdAt),
    lastUsedAt: isoOrNull(row.lastUsedAt),
    expiresAt: isoOrNull(row.expiresAt),
    revokedAt: isoOrNull(row.revokedAt),
  };
}

/** A key row joined with what a request needs to know about its owner. */
export interface KeyIdentity {
  keyId: string;
  keyPrefix: string;
  keyName: string;
  userName: string | null;
  orgId: string;
  userId: string;
  role: Role;
  scopes: Scope[];
  env: 'live' | 'test';
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  currentWorkspaceId: string | null;
}

// Runs on every request whose key is not cached.
const FIND_IDENTITY = `
  SELECT k.id AS "keyId", k.prefix AS "keyPrefix", k.name AS "keyName", u.name AS "userName", k."orgId", k."userId", m.role::text AS role, k.scopes,
         k.env::text AS env, k."expiresAt", k."revokedAt", k."lastUsedAt",
         CASE WHEN w.id IS NOT NULL AND w."deletedAt" IS NULL AND ${workspaceVisibleSql('w', 'm.role::text', 'k."userId"')}
              THEN w.id END AS "currentWorkspaceId"
  FROM "ApiKey" k
  JOIN "Organization" o ON o.id = k."orgId" AND o."deletedAt" IS NULL
  JOIN "User" u ON u.id = k."userId" AND u."deletedAt" IS NULL
  JOIN "Membership" m ON m."orgId" = k."orgId" AND m."userId" = k."userId"
  LEFT JOIN "Workspace" w ON w.id = m."currentWorkspaceId" AND w."orgId" = k."orgId"
  WHERE k.hash = $1`;

const LAST_USED_RESOLUTION_MS = 60_000;
const RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 };

/**
 * Identities by key hash, for at most `ttlMs` (1 s), unknown hashes included so a flood of one wrong key
 * costs no queries. A revocation evicts the key at once, and for one TTL refuses to re-cache an identity
 * that a request read before the revocation committed.
 */
export class KeyCache {
  private readonly entries = new Map<string, { identity: KeyIdentity | undefined; until: number }>();
  private readonly revoked = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(hash: string, now = Date.now()): { identity: KeyIdentity | undefined } | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.until > now) return entry;
    this.entries.delete(hash);
    return undefined;
  }

  set(hash: string, identity: KeyIdentity | undefined, now = Date.now()): void {
    if (identity && (this.revoked.get(identity.keyId) ?? 0) > now) return;
    // Oldest first out: Map iteration follows insertion order.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, { identity, until: now + this.ttlMs });
  }

  evict(keyId: string, now = Date.now()): void {
    this.revoked.set(keyId, now + this.ttlMs);
    for (const [hash, entry] of this.entries) if (entry.identity?.keyId === keyId) this.entries.delete(hash);
    for (const [id, until] of this.revoked) if (until <= now) this.revoked.delete(id);
  }
}

export interface ApiKeyStoreOptions {
  prisma: PrismaClient;
  keyEnv: KeyEnv;
  cache: KeyCache;
  revocations: RevocationBus;
  activity: ActivityLog;
  sql?: Sql;
  /** Where failures of work done behind the request's back (recording key use) are reported. */
  onBackgroundError?: (err: unknown, keyId: string) => void;
}

const unauthorized = (message: string) => new ApiError('UNAUTHORIZED', message);

export class ApiKeyStore {
  private readonly prisma: PrismaClient;
  private readonly keyEnv: KeyEnv;
  private readonly cache: KeyCache;
  private readonly revocations: RevocationBus;
  private readonly activity: ActivityLog;
  private readonly sql: Sql;
  private readonly onBackgroundError: (err: unknown, keyId: string) => void;

  constructor(options: ApiKeyStoreOptions) {
    this.prisma = options.prisma;
    this.keyEnv = options.keyEnv;
    this.cache = options.cache;
    this.revocations = options.revocations;
    this.activity = options.activity;
    this.sql = options.sql ?? sqlThroughPrisma(options.prisma);
    this.onBackgroundError = options.onBackgroundError ?? (() => undefined);
    this.revocations.subscribe((keyId) => this.cache.evict(keyId));
  }

  /**
   * The caller behind an `Authorization` header, or a 401 saying why not. Malformed keys and keys of the
   * other environment are refused before any database work.
   */
  async authenticate(header: string | undefined): Promise<Caller> {
    if (header === undefined) throw unauthorized('Missing API key: send Authorization: Bearer alm_<env>_<key>');
    const key = bearerToken(header);
    if (!key || !KEY_PATTERN.test(key)) throw unauthorized('Malformed API key: expected alm_<env>_ and 48 hex characters');
    if (!key.startsWith(`alm_${this.keyEnv}_`)) {
      throw unauthorized(`This server accepts only ${this.keyEnv} keys; this key was minted for another environment`);
    }
    const identity = await this.identify(hashKey(key));
    if (!identity) throw unauthorized('Invalid API key');
    if (identity.revokedAt) throw unauthorized('This API key has been revoked');
    if (identity.expiresAt && identity.expiresAt.getTime() <= Date.now()) throw unauthorized('This API key has expired');
    this.touch(identity).catch((err) => this.onBackgroundError(err, identity.keyId));
    return {
      via: 'key',
      keyId: identity.keyId,
      keyPrefix: identity.keyPrefix,
      keyName: identity.keyName,
      userName: identity.userName,
      orgId: identity.orgId,
      userId: identity.userId,
      role: identity.role,
      scopes: identity.scopes,
      keyEnv: identity.env,
      currentWorkspaceId: identity.currentWorkspaceId,
      browserSessionId: null,
      stepUpUntil: null,
    };
  }

  /** The identity behind a key hash, from the cache when it is fresh. */
  async identify(hash: string): Promise<KeyIdentity | undefined> {
    const cached = this.cache.get(hash);
    if (cached) return cached.identity;
    const identity = await this.findIdentity(hash);
    this.cache.set(hash, identity);
    return identity;
  }

  /**
   * One query from key hash to identity: the key, its owner's membership in a live org, and the current
   * workspace if the owner can still see it. Undefined when no such key (or owner) exists.
   */
  async findIdentity(hash: string): Promise<KeyIdentity | undefined> {
    const rows = await this.sql<KeyIdentity>(FIND_IDENTITY, [hash]);
    return rows[0];
  }

  /**
   * Records use without a write per request: at most one UPDATE per key per minute, and the WHERE clause
   * keeps several servers from all writing in the same minute.
   */
  async touch(identity: KeyIdentity, now = new Date()): Promise<void> {
    if (identity.lastUsedAt && now.getTime() - identity.lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
    identity.lastUsedAt = now;
    const threshold = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    await this.prisma.apiKey.updateMany({
      where: { id: identity.keyId, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: threshold } }] },
      data: { lastUsedAt: now },
    });
  }

  async list(caller: Caller, query: { limit?: number; cursor?: string }): Promise<Page<ApiKey>> {
    const limit = query.limit ?? 100;
    const rows = await this.prisma.apiKey.findMany({
      where: { ...visibleKeys(caller), ...after('createdAt', decodeCursor(query.cursor)) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    return toPage(rows, limit, (r) => r.createdAt, toApiKey);
  }

  /** Keys the caller can list that still authenticate: not revoked, not expired. */
  countActive(caller: Caller): Promise<number> {
    return this.prisma.apiKey.count({
      where: { ...visibleKeys(caller), revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] },
    });
  }

  async create(caller: Caller, body: CreateApiKeyRequest): Promise<ApiKeyCreated> {
    const name = body.name.trim();
    if (name.length === 0) {
      throw new ApiError('VALIDATION_ERROR', 'name must not be blank', [{ path: 'body.name', message: 'must not be blank' }]);
    }
    const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
    // A leap second (23:59:60) is a valid date-time to the validator but not to Date.
    if (expiresAt && Number.isNaN(expiresAt.getTime())) {
      throw new ApiError('VALIDATION_ERROR', 'expiresAt is not a representable instant', [
        { path: 'body.expiresAt', message: 'must be a representable instant' },
      ]);
    }
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new ApiError('VALIDATION_ERROR', 'expiresAt must be in the future', [
        { path: 'body.expiresAt', message: 'must be in the future' },
      ]);
    }
    const scopes = body.scopes ?? caller.scopes;
    const stronger = scopes.filter((s) => (s === '*' ? !caller.scopes.includes('*') : !hasScope(caller, s)));
    if (stronger.length > 0) {
      throw new ApiError('FORBIDDEN', `A key cannot grant scopes it does not hold: ${stronger.join(', ')}`);
    }
    return this.prisma.$transaction(async (tx) => {
      const created = await mintKey(tx, { orgId: caller.orgId, userId: caller.userId, name, scopes, env: this.keyEnv, expiresAt });
      const key = { id: created.id, orgId: caller.orgId, userId: caller.userId, name };
      await this.activity.record(sqlThroughPrisma(tx), keyActivity('api_key.minted', actorOf(caller), key));
      return created;
    });
  }

  /**
   * A caller may revoke its own keys and those of users ranked below it: the owner any key, an admin its
   * own and members' keys, a member only its own (the only ones it can see). Exactly one of several
   * concurrent revokes wins; the rest see the key already revoked (409).
   */
  async revoke(caller: Caller, id: string): Promise<ApiKey> {
    const where = { id, ...visibleKeys(caller) };
    const target = await this.prisma.apiKey.findFirst({ where, select: { userId: true } });
    if (!target) throw notFound('API key');
    if (target.userId !== caller.userId) {
      const owner = await this.prisma.membership.findUnique({ where: { orgId_userId: { orgId: caller.orgId, userId: target.userId } }, select: { role: true } });
      if (owner && RANK[owner.role] >= RANK[caller.role]) {
        throw new ApiError('FORBIDDEN', `You may revoke your own keys and those of users ranked below you; this key belongs to ${owner.role === 'owner' ? 'the owner' : `an ${owner.role}`}`);
      }
    }
    const { count, row } = await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.apiKey.updateMany({ where: { ...where, revokedAt: null }, data: { revokedAt: new Date() } });
      const row = await tx.apiKey.findFirst({ where });
      // Only the revoke that won writes the row.
      if (row && count === 1) await this.activity.record(sqlThroughPrisma(tx), keyActivity('api_key.revoked', actorOf(caller), row));
      return { count, row };
    });
    if (!row) throw notFound('API key');
    if (count === 0) throw new ApiError('CONFLICT', 'This API key is already revoked');
    await this.revocations.publish(row.id);
    return toApiKey(row);
  }
}
