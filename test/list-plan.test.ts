// The agents list is keyset-paginated and must stay an index scan as an org grows: EXPLAIN of the list
// query (first page and a cursor page) over a few thousand agents must use an Agent index and never a
// sequential scan of "Agent"; and no query in server/ may page with OFFSET.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../server/data/agents.js';
import type { Caller } from '../server/data/caller.js';
import type { ModelCatalog } from '../server/data/models.js';
import { encodeCursor } from '../server/domain/pagination.js';
import { PrismaClient } from '../server/db/prisma/client.js';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { openEmbeddedCopy, startHarness, type Harness, type Tenant } from './helpers/harness.js';

const AGENTS_IN_ORG = 3_000;
const AGENTS_ELSEWHERE = 2_000;
const LIMIT = 50;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

const quote = (v: unknown) => `'${String(v).replace(/'/g, "''")}'`;

describe('agents list query plan', () => {
  let h: Harness;
  let t: Tenant;
  let otherWorkspaceId: string;
  let cursorRow: { updatedAt: Date; id: string };

  beforeAll(async () => {
    h = await startHarness();
    t = await h.tenant();
    const stranger = await h.tenant();
    const exec = (sql: string) => h.db.prisma.$executeRawUnsafe(sql);
    const [ws] = await h.db.prisma.$queryRawUnsafe<Array<{ id: string }>>(
      `INSERT INTO "Workspace" ("orgId", "slug", "name") VALUES ('${t.orgId}', 'elsewhere', 'Elsewhere') RETURNING id`,
    );
    otherWorkspaceId = ws!.id;
    // Most agents in the caller's current workspace, some in another workspace, a few org-wide, and a
    // second org of the same size-class, so the orgId and workspace conditions both matter.
    await exec(`
      INSERT INTO "Agent" ("orgId", "workspaceId", "name", "slug", "avatar", "model", "settings", "createdAt", "updatedAt")
      SELECT '${t.orgId}'::uuid,
             CASE WHEN g % 50 = 0 THEN NULL WHEN g % 4 = 0 THEN '${otherWorkspaceId}'::uuid ELSE '${t.workspaceId}'::uuid END,
             'Agent ' || g, 'agent-' || g, 'owl', 'grok-3', '{"voice":{"provider":"openai","voiceId":"alloy","language":"en-US","speed":1,"pitch":0}}',
             now() - g * interval '1 minute', now() - g * interval '1 minute' + (g % 7) * interval '1 second'
      FROM generate_series(1, ${AGENTS_IN_ORG}) g`);
    await exec(`
      INSERT INTO "Agent" ("orgId", "workspaceId", "name", "slug", "avatar", "model", "settings", "updatedAt")
      SELECT '${stranger.orgId}'::uuid, '${stranger.workspaceId}'::uuid, 'Other ' || g, 'other-' || g, 'owl', 'grok-3', '{}',
             now() - g * interval '1 minute'
      FROM generate_series(1, ${AGENTS_ELSEWHERE}) g`);
    await exec('ANALYZE "Agent"');
    await exec('ANALYZE "Workspace"');
    // A position about 30 pages deep, in list order (found with OFFSET here, in the test only).
    const [row] = await h.db.prisma.$queryRawUnsafe<Array<{ updatedAt: Date; id: string }>>(`
      SELECT "updatedAt", id FROM "Agent"
      WHERE "deletedAt" IS NULL AND "orgId" = '${t.orgId}' AND ("workspaceId" IS NULL OR "workspaceId" = '${t.workspaceId}')
      ORDER BY "updatedAt" DESC, id DESC OFFSET 1500 LIMIT 1`);
    cursorRow = row!;
  });

  afterAll(async () => {
    await h?.close();
  });

  async function explain(sql: string): Promise<PlanNode[]> {
    const rows = await h.db.prisma.$queryRawUnsafe<Array<{ 'QUERY PLAN': unknown }>>(`EXPLAIN (FORMAT JSON) ${sql}`);
    const raw = rows[0]!['QUERY PLAN'];
    const doc = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
    return nodes(doc[0]!.Plan);
  }

  function expectIndexScanOnAgent(plan: PlanNode[]) {
    const summary = plan.map(
      (n) =>
        `${n['Node Type']}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}${n['Relation Name'] ? ` on ${n['Relation Name']}` : ''}`,
    );
    const agentIndexScans = plan.filter(
      (n) => ['Index Scan', 'Index Only Scan', 'Bitmap Index Scan'].includes(n['Node Type']) && n['Index Name']?.startsWith('Agent_'),
    );
    expect(agentIndexScans, `plan: ${summary.join(' > ')}`).not.toHaveLength(0);
    expect(
      plan.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'Agent'),
      `plan: ${summary.join(' > ')}`,
    ).toHaveLength(0);
  }

  // The SQL shape of AgentStore.list (server/data/agents.ts) as Prisma renders it: live agents of the org,
  // org-wide or in the current workspace, after the cursor, newest first, limit + 1 rows.
  const listSql = (keyset: string) => `
    SELECT "id", "orgId", "workspaceId", "name", "slug", "description", "avatar", "model", "systemPrompt", "allowedTools",
           "allowedPeerIds", "allowedConnectors", "isActive", "isDefault", "settings", "createdAt", "updatedAt", "deletedAt"
    FROM "Agent"
    WHERE "deletedAt" IS NULL AND "orgId" = '${t.orgId}' AND ("workspaceId" IS NULL OR "workspaceId" = '${t.workspaceId}')${keyset}
    ORDER BY "updatedAt" DESC, "id" DESC
    LIMIT ${LIMIT + 1}`;

  it('the first page uses an Agent index, no sequential scan of Agent', async () => {
    expectIndexScanOnAgent(await explain(listSql('')));
  });

  it('a cursor page uses an Agent index, no sequential scan of Agent', async () => {
    // after() in server/data/pagination.ts: updatedAt <= at AND (updatedAt < at OR id < cursor id).
    const at = `'${cursorRow.updatedAt.toISOString()}'`;
    const keyset = ` AND "updatedAt" <= ${at} AND ("updatedAt" < ${at} OR "id" < '${cursorRow.id}')`;
    expectIndexScanOnAgent(await explain(listSql(keyset)));
  });

  it('the SQL Prisma really sends for both pages uses the index, bounds the cursor page by it, and has no real OFFSET', async () => {
    // Capture the statements on a private copy of the migrated template (only the SQL text matters
    // there), then EXPLAIN them with their parameters on the seeded database.
    const pglite = await openEmbeddedCopy();
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite), log: [{ emit: 'event', level: 'query' }] });
    const sent: Array<{ query: string; params: unknown[] }> = [];
    prisma.$on('query', (e) => sent.push({ query: e.query, params: JSON.parse(e.params) as unknown[] }));
    try {
      await pglite.query(`INSERT INTO "Organization" (id, slug, name) VALUES ($1, $2, $2)`, [t.orgId, t.orgSlug]);
      const models = { alaModel: 'grok-3', defaultModel: 'grok-3', has: () => true } as unknown as ModelCatalog;
      const store = new AgentStore(prisma, models);
      const caller: Caller = {
        keyId: t.orgId,
        keyPrefix: 'alm_test_000',
        keyName: 'plan',
        userName: null,
        orgId: t.orgId,
        userId: t.userId,
        role: 'owner',
        scopes: ['*'],
        keyEnv: 'test',
        currentWorkspaceId: t.workspaceId,
        via: 'key',
        browserSessionId: null,
        stepUpUntil: null,
      };
      await store.list(caller, { limit: LIMIT });
      await store.list(caller, { limit: LIMIT, cursor: encodeCursor({ at: cursorRow.updatedAt, id: cursorRow.id }) });
    } finally {
      await prisma.$disconnect();
      await pglite.close();
    }
    const lists = sent.filter((q) => /^SELECT .* FROM "public"\."Agent"/s.test(q.query) && /ORDER BY/.test(q.query));
    expect(lists).toHaveLength(2);
    for (const q of lists) {
      expect(q.query).toMatch(/ORDER BY "public"\."Agent"\."updatedAt" DESC, "public"\."Agent"\."id" DESC/);
      // Prisma always renders `LIMIT $n OFFSET $m` for a `take`; the offset it binds must be 0.
      const offset = /OFFSET \$(\d+)/.exec(q.query);
      if (offset) expect(String(q.params[Number(offset[1]) - 1])).toBe('0');
      const inlined = q.query.replace(/\$(\d+)/g, (_, n: string) => quote(q.params[Number(n) - 1]));
      const plan = await explain(inlined);
      expectIndexScanOnAgent(plan);
      if (q === lists[1]) {
        // A deep page must start its range scan at the cursor, not read every row before it and filter
        // them out: the cursor's timestamp has to be part of the index condition.
        const conds = plan.filter((n) => n['Index Name']?.startsWith('Agent_')).map((n) => n['Index Cond'] ?? '');
        expect(
          conds.some((c) => c.includes('updatedAt')),
          `index conditions: ${conds.join(' | ')}`,
        ).toBe(true);
      }
    }
  });
});

describe('no OFFSET paging in server/', () => {
  const serverDir = fileURLToPath(new URL('../server', import.meta.url));
  const generated = join(serverDir, 'db', 'prisma');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      // server/db/prisma is Prisma's generated client: its types mention `skip`, its code runs none.
      if (path === generated) continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|sql)$/.test(entry)) files.push(path);
    }
  };
  walk(serverDir);

  it('has no `skip:` in Prisma calls and no OFFSET in SQL', () => {
    expect(files.length).toBeGreaterThan(10);
    const offenders: string[] = [];
    for (const file of files) {
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ''))
        .replace(/(^|[^:])\/\/.*$/gm, '$1');
      code.split('\n').forEach((line, i) => {
        // SQL here is written in capitals; a lower-case `offset` is a time zone's (zod's `offset: true`), not SQL's.
        if (/\bskip\s*:/.test(line) || /\bOFFSET\b/.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
