import { isUniqueViolation, sqlThroughPrisma, type PrismaClient, type Sql } from '../db/database.js';
import { ApiError } from '../errors.js';
import { orgRowsSql, orgWideSql, type ScopedKind } from './tenancy.js';

const SLUG_PROBES = 64;
const SLUG_RETRIES = 50;

/**
 * The tables whose rows get a slug unique among the org's live rows, with their tenancy kind; and
 * workspaces, whose slugs are unique among all of the org's rows, deleted ones included (never reused).
 */
const TABLES = { agent: 'Agent', project: 'Project', workspace: 'Workspace' } as const satisfies Partial<Record<ScopedKind | 'workspace', string>>;
type SluggedKind = keyof typeof TABLES;
const scopeSql = (kind: SluggedKind) => (kind === 'workspace' ? orgRowsSql() : orgWideSql(kind));

/**
 * Generated slugs, one rule for agents and projects: the lowest free `base`, `base-2` ... and a live-slug
 * unique index per org as referee. `insert` runs the row's INSERT (with whatever else must commit with it)
 * through the `Sql` it is given.
 */
export class SlugAllocator {
  private readonly taken: string;
  private readonly highest: string;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: Sql,
    private readonly kind: SluggedKind,
  ) {
    const table = TABLES[kind];
    this.taken = `SELECT slug FROM "${table}" WHERE ${scopeSql(kind)} AND slug = ANY($2::text[])`;
    this.highest = `
      SELECT COALESCE(MAX(substring(slug FROM $3::int)::int), 1)::int AS n
      FROM "${table}"
      WHERE ${scopeSql(kind)} AND starts_with(slug, $2) AND substring(slug FROM $3::int) ~ '^[0-9]{1,9}$'`;
  }

  /**
   * Optimistic first: the next free slug, and the unique index as referee. Losers retry under an advisory
   * lock on (kind, org, base), so a burst of creates with one name queues up instead of colliding again and
   * again; a locked attempt can still lose to another request's optimistic first attempt, and each such
   * loss means someone else succeeded, so the retries are bounded by the burst. The first attempt is one
   * statement outside a transaction when `insert` makes it one.
   */
  async create<T>(orgId: string, base: string, insert: (sql: Sql, slug: string) => Promise<T>, noun: string): Promise<T> {
    for (let attempt = 0; attempt <= SLUG_RETRIES; attempt++) {
      try {
        if (attempt === 0) return await insert(this.sql, await this.nextFree(this.sql, orgId, base));
        return await this.prisma.$transaction(async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${this.kind}:${orgId}:${base}`}, 0))`;
          const sql = sqlThroughPrisma(tx);
          return insert(sql, await this.nextFree(sql, orgId, base));
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
    throw new ApiError('CONFLICT', `Too many ${noun} are being created with this name at once; retry the request`);
  }

  /**
   * The lowest free slug among `base`, `base-2` ... `base-64`, found by index lookups; past that (a name
   * used 64 times) one past the highest suffix in use. A prefix scan would read every slug of the org,
   * since the column's collation is not bytewise.
   */
  private async nextFree(sql: Sql, orgId: string, base: string): Promise<string> {
    const candidates = Array.from({ length: SLUG_PROBES }, (_, i) => (i === 0 ? base : `${base}-${i + 1}`));
    const taken = await sql<{ slug: string }>(this.taken, [orgId, candidates]);
    const used = new Set(taken.map((r) => r.slug));
    const free = candidates.find((c) => !used.has(c));
    if (free) return free;
    const [row] = await sql<{ n: number }>(this.highest, [orgId, `${base}-`, base.length + 2]);
    return `${base}-${(row?.n ?? 1) + 1}`;
  }
}
