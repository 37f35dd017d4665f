import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { LOCAL_ADMIN_URL, adminQuery, createDatabase, dropDatabase } from '../../bench/postgres.js';
import { migrate } from '../../server/db/migrate.js';

/**
 * A fresh, migrated PostgreSQL database for tests that need a real server even on an embedded run (a
 * proxy to cut, a child process to kill). With DATABASE_URL set it is a copy of the run's template; without
 * it, the local server on 127.0.0.1:5432 is used if it answers. Otherwise `reason` says why there is none,
 * for the test to print before it skips.
 */
export type FreshPostgres =
  { url: string; drop: () => Promise<void>; reason?: undefined } | { reason: string; url?: undefined; drop?: undefined };

export async function freshPostgres(label: string): Promise<FreshPostgres> {
  const run = inject('postgres');
  const name = `${run?.prefix ?? 'alumia_test_local'}_${label}_${randomBytes(5).toString('hex')}`;
  if (run) {
    return { url: await createDatabase(run.adminUrl, name, { template: run.template }), drop: () => dropDatabase(run.adminUrl, name) };
  }
  let url: string;
  try {
    url = await createDatabase(LOCAL_ADMIN_URL, name);
  } catch (err) {
    return { reason: `DATABASE_URL is not set and no PostgreSQL answers on 127.0.0.1:5432 (${(err as Error).message})` };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migrate({ query: async (s, p) => ({ rows: (await client.query(s, p)).rows }), exec: (s) => client.query(s) });
  } finally {
    await client.end();
  }
  return { url, drop: () => dropDatabase(LOCAL_ADMIN_URL, name) };
}

/** An empty database (not migrated): a server started on it migrates and bootstraps it as on a first start. */
export async function emptyPostgres(label: string): Promise<FreshPostgres> {
  const run = inject('postgres');
  const admin = run?.adminUrl ?? LOCAL_ADMIN_URL;
  const name = `${run?.prefix ?? 'alumia_test_local'}_${label}_${randomBytes(5).toString('hex')}`;
  try {
    return { url: await createDatabase(admin, name), drop: () => dropDatabase(admin, name) };
  } catch (err) {
    return { reason: `no PostgreSQL to create a database on (${(err as Error).message})` };
  }
}

/** Undefined when a PostgreSQL server is there to create databases on; else why not. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const run = inject('postgres');
  try {
    await adminQuery(run?.adminUrl ?? LOCAL_ADMIN_URL, 'SELECT 1');
    return undefined;
  } catch (err) {
    return `${run ? 'the DATABASE_URL server' : 'DATABASE_URL is not set and the server on 127.0.0.1:5432'} does not answer (${(err as Error).message})`;
  }
}
