import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newPglite } from '../../server/db/pglite.js';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
// The PostgreSQL admin helper the bench uses too: it imports only pg, so neither side loads the other's code.
import { createDatabase, dropDatabasesWithPrefix, withDatabase } from '../../bench/postgres.js';
import { migrate } from '../../server/db/migrate.js';

// Test files and helpers import withDatabase from here.
export { withDatabase };

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated PGlite data dir dump that each test file loads (embedded runs). */
    embeddedTemplate: string;
    /** PostgreSQL runs: the admin URL and the migrated template database every test file copies. */
    postgres: { adminUrl: string; template: string; prefix: string } | null;
  }
}

/**
 * Migrates once per run, then lets every test file start from a copy: a PGlite dump for the embedded
 * database, a template database on PostgreSQL (DATABASE_URL). Everything is removed afterwards.
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'alumia-test-'));
  const pglite = newPglite();
  await migrate(pglite);
  const dump = join(dir, 'template.tar');
  writeFileSync(dump, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()));
  await pglite.close();
  project.provide('embeddedTemplate', dump);

  const adminUrl = process.env.DATABASE_URL;
  let postgres: ProvidedContext['postgres'] = null;
  if (adminUrl) {
    const prefix = `alumia_test_${process.pid}_${Date.now().toString(36)}`;
    const template = `${prefix}_template`;
    const tpl = new pg.Client({ connectionString: await createDatabase(adminUrl, template) });
    await tpl.connect();
    await migrate({ query: async (s, p) => ({ rows: (await tpl.query(s, p)).rows }), exec: (s) => tpl.query(s) });
    await tpl.end();
    postgres = { adminUrl, template, prefix };
  }
  project.provide('postgres', postgres);

  return async () => {
    rmSync(dir, { recursive: true, force: true });
    if (postgres) await dropDatabasesWithPrefix(postgres.adminUrl, postgres.prefix);
  };
}

type ProvidedContext = import('vitest').ProvidedContext;
