import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { PGlite } from '@electric-sql/pglite';
import { newPglite } from '../../server/db/pglite.js';
import type { Express } from 'express';
import pg from 'pg';
import supertest from 'supertest';
import { inject } from 'vitest';
import type { Scope } from '../../generated/sdk/types.gen.js';
import { buildApp } from '../../server/app.js';
import { loadConfig, type Config, type Env } from '../../server/config.js';
import { mintKey } from '../../server/data/api-keys.js';
import { bootstrap } from '../../server/data/bootstrap.js';
import { openEmbedded, openPostgres, type Database } from '../../server/db/database.js';
import { createLogger } from '../../server/logger.js';
import { withDatabase } from '../setup/global.js';

export const uniq = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

export interface Tenant {
  key: string;
  orgId: string;
  orgSlug: string;
  userId: string;
  email: string;
  role: 'owner' | 'admin' | 'member';
  workspaceId: string;
  workspaceSlug: string;
  /** `{ Authorization: 'Bearer <key>' }` for supertest's `.set()`. */
  auth: { Authorization: string };
}

export interface Harness {
  app: Express;
  config: Config;
  db: Database;
  /** A supertest client bound to the app. */
  http: ReturnType<typeof supertest>;
  /** Every log line the app wrote, as raw JSON strings. */
  logs: string[];
  /** A new org with an owner (or the given role), a workspace, and a full-scope key. */
  tenant(options?: { role?: Tenant['role'] }): Promise<Tenant>;
  /** Another user in `of`'s org, with their own workspace unless `workspaceSlug` names an existing one. */
  colleague(of: Tenant, options?: { role?: Tenant['role']; workspaceSlug?: string }): Promise<Tenant>;
  /** A key for `of`'s user with only these scopes. */
  keyWithScopes(of: Tenant, scopes: Scope[], expiresAt?: Date | null): Promise<string>;
  /** A key for `of`'s user minted through the data layer, for any env (production servers need `live`). */
  mintKey(of: Tenant, options?: { env?: 'live' | 'test'; scopes?: Scope[]; expiresAt?: Date | null; name?: string }): Promise<string>;
  /** The PostgreSQL URL of this file's database; undefined on the embedded database. */
  url: string | undefined;
  /** Builds another app (different config) over the same database. */
  rebuild(env: Partial<Env>): Promise<{ app: Express; http: ReturnType<typeof supertest>; config: Config }>;
  close(): Promise<void>;
}

// A fixed secrets key: in-process apps seal webhook secrets without writing a key file into the checkout.
export const TEST_ENV: Partial<Env> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  DISABLE_RATE_LIMIT: '1',
  SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
};

/** A fresh database (a copy of the migrated template) and an app over it, for one test file. */
export async function startHarness(env: Partial<Env> = {}): Promise<Harness> {
  const { db, url, drop } = await openTestDatabase();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const make = (extra: Partial<Env>) => {
    const config = loadConfig({ ...TEST_ENV, ...env, ...extra });
    const app = buildApp({ config, db, logger: createLogger(config.logLevel, sink) });
    return { app, http: supertest(app), config };
  };
  const { app, http, config } = make({});

  const toTenant = (r: Awaited<ReturnType<typeof bootstrap>>): Tenant => ({
    key: r.apiKey,
    orgId: r.orgId,
    orgSlug: r.orgSlug,
    userId: r.userId,
    email: r.email,
    role: r.role,
    workspaceId: r.workspaceId,
    workspaceSlug: r.workspaceSlug,
    auth: { Authorization: `Bearer ${r.apiKey}` },
  });

  return {
    app,
    config,
    db,
    http,
    logs,
    async tenant(options = {}) {
      const r = await bootstrap(db.prisma, {
        orgSlug: uniq('org'),
        email: `${uniq('owner')}@example.test`,
        role: options.role ?? 'owner',
        keyEnv: config.keyEnv,
        initialCreditMicro: config.initialCreditMicro,
      });
      return toTenant(r);
    },
    async colleague(of, options = {}) {
      const r = await bootstrap(db.prisma, {
        orgSlug: of.orgSlug,
        email: `${uniq('user')}@example.test`,
        role: options.role ?? 'member',
        workspaceSlug: options.workspaceSlug ?? uniq('ws'),
        keyEnv: config.keyEnv,
      });
      return toTenant(r);
    },
    async keyWithScopes(of, scopes, expiresAt = null) {
      const created = await mintKey(db.prisma, {
        orgId: of.orgId,
        userId: of.userId,
        name: 'scoped',
        scopes,
        env: config.keyEnv,
        expiresAt,
      });
      return created.key;
    },
    async mintKey(of, options = {}) {
      const created = await mintKey(db.prisma, {
        orgId: of.orgId,
        userId: of.userId,
        name: options.name ?? 'minted',
        scopes: options.scopes ?? ['*'],
        env: options.env ?? config.keyEnv,
        expiresAt: options.expiresAt ?? null,
      });
      return created.key;
    },
    url,
    // A bad config rejects the promise (as an async function would) rather than throwing.
    rebuild: (extra) => Promise.resolve().then(() => make(extra)),
    async close() {
      await db.close();
      await drop();
    },
  };
}

/** A bare app over any database (for example one that is down), logging into `logs` when given. */
export function appOver(db: Database, env: Partial<Env> = {}, logs?: string[]) {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs?.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig({ ...TEST_ENV, ...env });
  const app = buildApp({ config, db, logger: createLogger(config.logLevel, sink) });
  return { app, http: supertest(app), config };
}

/** A private in-memory PGlite loaded from the migrated template, whatever database the run uses. */
export async function openEmbeddedCopy(): Promise<PGlite> {
  const pglite = newPglite(undefined, { loadDataDir: new Blob([readFileSync(inject('embeddedTemplate'))]) });
  await pglite.waitReady;
  return pglite;
}

/** Opens a private copy of the migrated template: PGlite in memory, or a new PostgreSQL database. */
export async function openTestDatabase(): Promise<{ db: Database; url?: string; drop: () => Promise<void> }> {
  const options = { timeoutMs: 5_000, poolSize: 5 };
  const postgres = inject('postgres');
  if (!postgres) {
    const pglite = newPglite(undefined, { loadDataDir: new Blob([readFileSync(inject('embeddedTemplate'))]) });
    await pglite.waitReady;
    return { db: await openEmbedded(pglite, options), drop: async () => {} };
  }
  const name = `${postgres.prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(postgres.adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${postgres.template}"`);
  const url = withDatabase(postgres.adminUrl, name);
  return {
    db: await openPostgres(url, options),
    url,
    drop: () => adminQuery(postgres.adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function adminQuery(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
