import { randomUUID } from 'node:crypto';
// Captures the SQL the data layer really sends for the benchmarked operations (through a PrismaClient
// with query logging over the bench database, calling the real stores), then EXPLAIN ANALYZEs each one
// on PostgreSQL: which index, how many rows read and thrown away, planning and execution time.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { AgentStore } from '../server/data/agents.js';
import { ApiKeyStore } from '../server/data/api-keys.js';
import type { Caller } from '../server/data/caller.js';
import type { ModelCatalog } from '../server/data/models.js';
import { SessionStore } from '../server/data/sessions.js';
import { ActivityLog } from '../server/data/activity.js';
import { sqlThroughPrisma, type Sql } from '../server/db/database.js';
import { hashKey } from '../server/domain/keys.js';
import { PrismaClient } from '../server/db/prisma/client.js';
import { log, round } from './lib.js';
import type { SeedInfo } from './seed.js';

export interface PlanSummary {
  name: string;
  executionMs: number;
  planningMs: number;
  /** Scan nodes: `Index Scan using Agent_list_idx on Agent`, `Seq Scan on Message`, ... */
  scans: string[];
  /** Rows read by scan nodes (actual rows + rows removed by filter), summed over loops. */
  rowsRead: number;
  rowsRemovedByFilter: number;
  sharedBuffers: number;
  sql: string;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

function walk(node: PlanNode, visit: (n: PlanNode) => void) {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}

/** A query parameter as Prisma's query log gives it (JSON): a scalar, an array of scalars or a JSON object. */
type Scalar = string | number | boolean | null;
type Param = Scalar | Scalar[] | { [key: string]: unknown };

const quoteText = (t: string) => `'${t.replace(/'/g, "''")}'`;
/** A parameter as an untyped SQL literal (PostgreSQL infers the type from the statement). */
const literal = (v: Param | undefined): string => {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return quoteText(`{${v.map((x) => `"${String(x).replace(/["\\]/g, '\\$&')}"`).join(',')}}`);
  if (typeof v === 'object') return quoteText(JSON.stringify(v));
  return quoteText(String(v));
};

export async function explainQueries(url: string, seed: SeedInfo, deepCursor: string): Promise<PlanSummary[]> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const captured: Array<{ query: string; params: Param[] }> = [];
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool), log: [{ emit: 'event', level: 'query' }] });
  prisma.$on('query', (e) => captured.push({ query: e.query, params: JSON.parse(e.params) as Param[] }));
  const models = { alaModel: 'grok-3', defaultModel: 'grok-3', has: () => true } as unknown as ModelCatalog;
  const agents = new AgentStore(prisma, models);
  const sessions = new SessionStore(prisma, agents, new ActivityLog(randomUUID()));
  // Only the uncached lookup query is wanted; the store's constructor (caches, buses) is not needed for it.
  const keys = {
    findIdentity: (hash: string) =>
      ApiKeyStore.prototype.findIdentity.call({ sql: sqlThroughPrisma(prisma) } as unknown as ApiKeyStore, hash),
  };
  const identity = await keys.findIdentity(hashKey(seed.keys[0]!));
  if (!identity) throw new Error('plans: the first seeded key does not resolve');
  const caller: Caller = { ...identity, keyEnv: identity.env, via: 'key', browserSessionId: null, stepUpUntil: null };
  await agents.ensureAla(caller.orgId);

  // Every SELECT the operation sends, each explained on its own (`name [i/n]` when there are several).
  const capture = async (name: string, fn: () => Promise<unknown>): Promise<Array<{ name: string; query: string; params: Param[] }>> => {
    captured.length = 0;
    try {
      await fn();
    } catch (err) {
      log(`plans: ${name}: ${(err as Error).message.split('\n')[0]}`);
      return [];
    }
    const selects = captured.filter((q) => /^\s*SELECT/i.test(q.query));
    return selects.map((q, i) => ({ name: selects.length > 1 ? `${name} [${i + 1}/${selects.length}]` : name, ...q }));
  };
  const captures = [
    await capture('auth: key hash -> identity', () => keys.findIdentity(hashKey(seed.keys[1]!))),
    await capture('get agent by id', () => agents.get(caller, seed.agentIds[123]!)),
    await capture('get agent by slug', () => agents.get(caller, seed.agentSlugs[456]!)),
    await capture('list first page (limit 50)', () => agents.list(caller, { limit: 50 })),
    await capture('list cursor page 151 (limit 50)', () => agents.list(caller, { limit: 50, cursor: deepCursor })),
    await capture('agent messages (peer sessions)', () => sessions.peerMessages(caller, seed.messageAgentIds[0]!)),
    await capture('create: next free slug (new name)', () => {
      // Private on purpose: the bench reaches in to explain the lookups alone.
      const slugs = (agents as unknown as { slugs: { nextFree: (sql: Sql, orgId: string, base: string) => Promise<string> } }).slugs;
      return slugs.nextFree(sqlThroughPrisma(prisma), caller.orgId, 'maya-okafor-research-assistant');
    }),
  ];
  // The statements of one real create (it adds one agent to the bench org); the INSERT is explained
  // inside a rolled-back transaction with another slug.
  captured.length = 0;
  try {
    const created = await agents.create(caller, { name: 'Plan Probe Research Assistant', description: 'Created by bench/plans.ts.' });
    // One statement: the agent's INSERT with its activity row as a CTE (WITH a AS (INSERT ...)).
    const insert = captured.find((q) => /^\s*(WITH a AS \(\s*)?INSERT INTO ("public"\.)?"Agent"/i.test(q.query));
    if (insert) {
      captures.push([
        {
          name: `create: the INSERT (of the ${captured.length} statements one create sent)`,
          query: insert.query,
          params: insert.params.map((p) => (p === created.slug ? `${created.slug}-explain` : p)),
        },
      ]);
    }
  } catch (err) {
    log(`plans: create: ${(err as Error).message.split('\n')[0]}`);
  }
  const shapes = captures.flat();
  await prisma.$disconnect();
  await pool.end();

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const out: PlanSummary[] = [];
  try {
    for (const [i, shape] of shapes.entries()) {
      try {
        out.push(await explainOne(client, `bench_plan_${i}`, shape));
      } catch (err) {
        log(`plans: ${shape.name}: ${(err as Error).message.split('\n')[0]}`);
        await client.query('ROLLBACK').catch(() => {});
      }
    }
  } finally {
    await client.end();
  }
  return out;
}

/** EXPLAIN (ANALYZE, BUFFERS) of one captured statement with its parameters, in a rolled-back transaction. */
async function explainOne(client: pg.Client, stmt: string, shape: { name: string; query: string; params: Param[] }): Promise<PlanSummary> {
  // Every statement runs in a transaction that is rolled back: writes leave no trace.
  await client.query('BEGIN');
  await client.query(`PREPARE ${stmt} AS ${shape.query}`);
  const args = shape.params.length ? `(${shape.params.map(literal).join(', ')})` : '';
  // Run it once first so the numbers are for warm caches, as under load (not writes: the second
  // would collide with the first).
  if (/^\s*SELECT/i.test(shape.query)) await client.query(`EXECUTE ${stmt}${args}`);
  const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number; 'Planning Time': number }> }>(
    `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE ${stmt}${args}`,
  );
  await client.query(`DEALLOCATE ${stmt}`);
  await client.query('ROLLBACK');
  const plan = rows[0]!['QUERY PLAN'][0]!;
  const scans: string[] = [];
  let rowsRead = 0;
  let removed = 0;
  walk(plan.Plan, (n) => {
    if (!/Scan/.test(n['Node Type'])) return;
    if (n['Relation Name'] || n['Index Name']) {
      const label = `${n['Node Type']}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}${n['Relation Name'] ? ` on ${n['Relation Name']}` : ''}`;
      if (!scans.includes(label)) scans.push(label);
    }
    const loops = n['Actual Loops'] ?? 1;
    const filtered = (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Index Recheck'] ?? 0);
    if (n['Relation Name']) rowsRead += ((n['Actual Rows'] ?? 0) + filtered) * loops;
    removed += filtered * loops;
  });
  return {
    name: shape.name,
    executionMs: round(plan['Execution Time'], 3),
    planningMs: round(plan['Planning Time'], 3),
    scans,
    rowsRead: Math.round(rowsRead),
    rowsRemovedByFilter: Math.round(removed),
    sharedBuffers: (plan.Plan['Shared Hit Blocks'] ?? 0) + (plan.Plan['Shared Read Blocks'] ?? 0),
    sql: shape.query,
  };
}
