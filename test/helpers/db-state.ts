import type { PrismaClient } from '../../server/db/database.js';

/**
 * A cheap fingerprint of every table, to prove that a request changed nothing. For each table: the row
 * count and a hash of every row version's (ctid, xmin). PostgreSQL writes a new row version, with a new
 * xmin, for every committed INSERT and UPDATE (even one that sets the same values), and DELETE changes the
 * count, so any committed write shows; an aborted transaction leaves no visible version and so shows
 * nothing, which is the point.
 *
 * Two exceptions: ApiKey.lastUsedAt and BrowserSession.lastSeenAt are written (at most once a minute) by
 * every authenticated request, refused or not: they record that the credential was used, not anything the
 * request asked for. Those two tables are therefore hashed by content, without that column.
 */

export type Fingerprint = Record<string, string>;

export async function tableNames(prisma: PrismaClient): Promise<string[]> {
  const rows = await prisma.$queryRaw<Array<{ table_name: string }>>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'
    ORDER BY table_name`;
  return rows.map((r) => r.table_name);
}

const USE_STAMPS: Record<string, string> = { ApiKey: 'lastUsedAt', BrowserSession: 'lastSeenAt' };

export function fingerprintQuery(tables: string[]): string {
  return tables
    .map((t) =>
      USE_STAMPS[t]
        ? `SELECT '${t}' AS t, count(*)::int AS n, coalesce(md5(string_agg(md5((to_jsonb(x) - '${USE_STAMPS[t]}')::text), '' ORDER BY x.id)), '') AS h FROM "${t}" x`
        : `SELECT '${t}' AS t, count(*)::int AS n, coalesce(md5(string_agg(x.ctid::text || x.xmin::text, '' ORDER BY x.ctid)), '') AS h FROM "${t}" x`,
    )
    .join(' UNION ALL ');
}

export async function fingerprint(prisma: PrismaClient, tables: string[], query = fingerprintQuery(tables)): Promise<Fingerprint> {
  const rows = await prisma.$queryRawUnsafe<Array<{ t: string; n: number; h: string }>>(query);
  return Object.fromEntries(rows.map((r) => [r.t, `${r.n}:${r.h}`]));
}

/** The tables whose fingerprint differs. */
export function changedTables(before: Fingerprint, after: Fingerprint): string[] {
  return Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
}
