import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newPglite } from '../server/db/pglite.js';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { migrate, MigrationError, migrationsDir, readMigrations, type SqlConnection } from '../server/db/migrate.js';
import { openEmbeddedCopy } from './helpers/harness.js';
import { withDatabase } from './setup/global.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const names = readMigrations().map((m) => m.name);

interface Fresh {
  conn: SqlConnection;
  close(): Promise<void>;
}

/** A PostgreSQL connection as the migration runner wants it. */
const wrap = (client: pg.Client): SqlConnection => ({
  query: async (sql, params) => ({ rows: (await client.query(sql, params)).rows }),
  exec: (sql) => client.query(sql),
});

interface MigrationRow {
  id: string;
  migration_name: string;
  checksum: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
}
const rows = async (conn: SqlConnection) =>
  (await conn.query<MigrationRow>('SELECT * FROM "_prisma_migrations" ORDER BY migration_name')).rows;

const tableExists = async (conn: SqlConnection, name: string) =>
  (
    await conn.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = $1",
      [name],
    )
  ).rows[0]!.n === 1;

/**
 * The same rules on every database kind: `open` gives a fresh, empty database; `openMigrated`, when given,
 * a quicker copy of one that is already migrated (the embedded template).
 */
function migrationRules(kind: string, open: () => Promise<Fresh>, openMigrated?: () => Promise<Fresh>) {
  const migrated = openMigrated ?? open;
  describe(`migrate() on a fresh ${kind} database`, () => {
    it('applies every migration once, recorded as Prisma records it, and then has nothing left to apply', async () => {
      const db = await open();
      try {
        expect(names.length).toBeGreaterThan(0);
        expect(await migrate(db.conn)).toEqual(names);
        const recorded = await rows(db.conn);
        expect(recorded.map((r) => r.migration_name)).toEqual(names);
        for (const r of recorded) {
          // Prisma's checksum: sha256 of migration.sql as stored on disk.
          expect(r.checksum).toBe(sha256(readFileSync(join(migrationsDir, r.migration_name, 'migration.sql'), 'utf8')));
          expect(r.finished_at).not.toBeNull();
          expect(r.rolled_back_at).toBeNull();
          expect(r.applied_steps_count).toBe(1);
          expect(r.id).toMatch(/^[0-9a-f-]{36}$/);
          expect(new Date(r.finished_at!).getTime()).toBeGreaterThanOrEqual(new Date(r.started_at).getTime());
        }
        expect(await tableExists(db.conn, 'ApiKey')).toBe(true);

        expect(await migrate(db.conn)).toEqual([]);
        expect(await rows(db.conn)).toEqual(recorded);
      } finally {
        await db.close();
      }
    });

    it('refuses, with a clear error, a migration whose file changed after it was applied', async () => {
      const db = await migrated();
      try {
        await migrate(db.conn);
        const edited = readMigrations().map((m, i) =>
          i === 0 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: sha256(`${m.sql}\n-- edited`) } : m,
        );
        const attempt = migrate(db.conn, edited);
        await expect(attempt).rejects.toBeInstanceOf(MigrationError);
        await expect(attempt).rejects.toThrow(new RegExp(`${names[0]}.*changed after it was applied`));
        // The lock was released: the untouched set still runs (and finds nothing to do).
        expect(await migrate(db.conn)).toEqual([]);
      } finally {
        await db.close();
      }
    });

    it('rolls a failing migration back completely, records nothing for it, and stays usable', async () => {
      const db = await migrated();
      try {
        await migrate(db.conn);
        const sql = 'CREATE TABLE "HalfDone" ("id" INTEGER); SELECT * FROM "NoSuchTable";';
        const broken = [...readMigrations(), { name: '99991231000000_broken', sql, checksum: sha256(sql) }];
        await expect(migrate(db.conn, broken)).rejects.toThrow(/99991231000000_broken failed/);
        expect(await tableExists(db.conn, 'HalfDone')).toBe(false);
        expect((await rows(db.conn)).map((r) => r.migration_name)).toEqual(names);
        expect(await migrate(db.conn)).toEqual([]);
      } finally {
        await db.close();
      }
    });

    it('refuses to run past a migration left unfinished by a crash', async () => {
      const db = await migrated();
      try {
        await migrate(db.conn);
        await db.conn.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())', [
          '00000000-0000-4000-8000-000000000000',
          sha256('x'),
          '99991231000000_crashed',
        ]);
        await expect(migrate(db.conn)).rejects.toThrow(/99991231000000_crashed failed earlier/);
      } finally {
        await db.close();
      }
    });
  });
}

migrationRules(
  'embedded (PGlite)',
  async () => {
    const pglite = newPglite();
    await pglite.waitReady;
    return { conn: pglite, close: () => pglite.close() };
  },
  async () => {
    const pglite = await openEmbeddedCopy();
    return { conn: pglite, close: () => pglite.close() };
  },
);

const postgres = inject('postgres');
if (postgres) {
  /** A new, empty database named with the run's prefix, so the run's teardown drops it even after a crash. */
  const createDatabase = async () => {
    const name = `${postgres.prefix}_mig_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgres.adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    return {
      url: withDatabase(postgres.adminUrl, name),
      async drop() {
        const a = new pg.Client({ connectionString: postgres.adminUrl });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await a.end();
      },
    };
  };

  migrationRules('PostgreSQL', async () => {
    const database = await createDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    return {
      conn: wrap(client),
      async close() {
        await client.end();
        await database.drop();
      },
    };
  });

  describe('migrate() on PostgreSQL with two servers starting together', () => {
    it('applies each migration exactly once under the advisory lock', async () => {
      const database = await createDatabase();
      const clients = [new pg.Client({ connectionString: database.url }), new pg.Client({ connectionString: database.url })];
      try {
        await Promise.all(clients.map((c) => c.connect()));
        const results = await Promise.all(clients.map((c) => migrate(wrap(c))));
        // One of them applied everything; the other waited for the lock and found nothing to do.
        expect(results.map((r) => r.length).sort()).toEqual([0, names.length]);
        expect(results.flat()).toEqual(names);
        const recorded = await rows(wrap(clients[0]!));
        expect(recorded.map((r) => r.migration_name)).toEqual(names);
      } finally {
        await Promise.all(clients.map((c) => c.end().catch(() => {})));
        await database.drop();
      }
    });
  });
}
