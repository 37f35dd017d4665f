// PostgreSQL administration shared by the bench and the tests (test/helpers/postgres.ts, test/setup/global.ts):
// the URL of a sibling database, one-shot admin queries, and creating and dropping the throwaway databases
// both make. It imports only `pg` (no vitest, no bench or server code), so either side can load it, and the
// server never imports it.
import pg from 'pg';

/** The local server both the bench and the tests fall back to when DATABASE_URL is not set. */
export const LOCAL_ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/** `url` with its database replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** One statement on a connection of its own, closed afterwards. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  adminUrl: string,
  sql: string,
  params?: unknown[],
): Promise<pg.QueryResult<R>> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await client.query<R>(sql, params);
  } finally {
    await client.end();
  }
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Creates `name` (a copy of `template` when given) next to the admin URL's database; returns its URL. */
export async function createDatabase(adminUrl: string, name: string, options: { template?: string } = {}): Promise<string> {
  await adminQuery(adminUrl, `CREATE DATABASE ${ident(name)}${options.template ? ` TEMPLATE ${ident(options.template)}` : ''}`);
  return withDatabase(adminUrl, name);
}

/** Drops `name` if it exists, disconnecting whoever is still on it. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
}

/** Drops every database whose name starts with `prefix`; returns their names. */
export async function dropDatabasesWithPrefix(adminUrl: string, prefix: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${ident(datname)} WITH (FORCE)`);
    return rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

/** Only loopback database hosts: the bench creates and drops databases and must not touch anything else. */
export function assertLoopback(url: string) {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]', ''].includes(host)) {
    throw new Error(`DATABASE_URL must point at 127.0.0.1 for the bench (got host ${host})`);
  }
}

/** `SHOW server_version`, or null when the server does not answer. */
export async function serverVersion(adminUrl: string): Promise<string | null> {
  try {
    return (await adminQuery<{ server_version: string }>(adminUrl, 'SHOW server_version')).rows[0]?.server_version ?? null;
  } catch {
    return null;
  }
}
