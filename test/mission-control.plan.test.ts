// The feed must stay index-served as an org's activity grows: EXPLAIN of the statement mission control
// really sends (feedQuery), with no filter, with each single filter, the search included, and on a cursor
// page, over some 40,000 rows in two orgs: an "Activity" index every time, never a sequential scan of it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../server/data/caller.js';
import { feedQuery, type FeedFilters } from '../server/data/mission-control-feed.js';
import { encodeCursor } from '../server/domain/pagination.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

const ROWS_IN_ORG = 30_000;
const ROWS_ELSEWHERE = 10_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}
const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

describe('mission control feed query plan', () => {
  let h: Harness;
  let t: Tenant;
  let caller: Caller;
  const agentId = randomUUID();
  const projectId = randomUUID();
  const machineId = randomUUID();

  beforeAll(async () => {
    h = await startHarness();
    t = await h.tenant();
    const stranger = await h.tenant();
    caller = {
      keyId: randomUUID(),
      keyPrefix: 'alm_test_000',
      keyName: 'plan',
      userName: null,
      orgId: t.orgId,
      userId: t.userId,
      role: 'member',
      scopes: ['*'],
      keyEnv: 'test',
      currentWorkspaceId: t.workspaceId,
      via: 'key',
      browserSessionId: null,
      stepUpUntil: null,
    };
    // A member (so the workspace check is in the plan), rows spread over 200 agents, 50 projects, 4
    // machines and 8 kinds; a rare kind, machine and word in 1 row of 1,000 each. A common value may be
    // read through the feed index (51 matches come quickly in feed order); a rare one needs its own index.
    const seed = (orgId: string, workspaceId: string, count: number, offset: number) =>
      h.db.prisma.$executeRawUnsafe(`
        INSERT INTO "Activity" ("orgId", "workspaceId", kind, "actorType", "actorName", "subjectType", "subjectId", "subjectName",
          "agentId", "projectId", "machineId", summary, "createdAt")
        SELECT '${orgId}'::uuid, CASE WHEN g % 10 = 0 THEN NULL ELSE '${workspaceId}'::uuid END,
          CASE WHEN g % 1000 = 11 THEN 'credits.granted'
            ELSE (ARRAY['agent.created','agent.updated','session.created','message.posted','chat.replied','api_key.minted','project.updated','block.created'])[1 + g % 8] END,
          'api_key', 'ci', 'agent', gen_random_uuid(), 'Agent ' || (g % 200),
          CASE WHEN g % 200 = 7 THEN '${agentId}'::uuid ELSE md5('a' || (g % 200))::uuid END,
          CASE WHEN g % 50 = 3 THEN '${projectId}'::uuid WHEN g % 3 = 0 THEN md5('p' || (g % 50))::uuid ELSE NULL END,
          CASE WHEN g % 1000 = 13 THEN '${machineId}'::uuid ELSE md5('m' || (g % 4))::uuid END,
          CASE WHEN g % 1000 = 5 THEN 'ci mentioned the zebra crossing' ELSE 'ci updated agent ' || g END,
          now() - (g + ${offset}) * interval '1 second'
        FROM generate_series(1, ${count}) g`);
    await seed(t.orgId, t.workspaceId, ROWS_IN_ORG, 0);
    await seed(stranger.orgId, stranger.workspaceId, ROWS_ELSEWHERE, 7);
    await h.db.prisma.$executeRawUnsafe('ANALYZE "Activity"');
    await h.db.prisma.$executeRawUnsafe('ANALYZE "Workspace"');
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  async function plan(filters: Partial<FeedFilters>): Promise<PlanNode[]> {
    const { text, params } = feedQuery(caller, { limit: 50, ...filters });
    const rows = await h.db.sql<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${text}`, params);
    const raw = rows[0]!['QUERY PLAN'];
    const doc = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
    return nodes(doc[0]!.Plan);
  }

  const usage = (p: PlanNode[]) =>
    p.map(
      (n) =>
        `${n['Node Type']}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}${n['Relation Name'] ? ` on ${n['Relation Name']}` : ''}`,
    );

  /** The plan reads "Activity" through `index` (any of its indexes when omitted), never by a sequential scan. */
  function expectIndex(p: PlanNode[], index?: string) {
    const summary = `plan: ${usage(p).join(' > ')}`;
    expect(
      p.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'Activity'),
      summary,
    ).toHaveLength(0);
    expect(
      p.some((n) => (index ? n['Index Name'] === index : n['Index Name']?.startsWith('Activity_'))),
      summary,
    ).toBe(true);
  }

  it('no filter: the (org, createdAt, id) index, in feed order', async () => {
    expectIndex(await plan({}), 'Activity_feed_idx');
  });

  it('a cursor page starts its range scan at the cursor', async () => {
    const cursor = encodeCursor({ at: new Date(Date.now() - 20_000 * 1000), id: randomUUID() });
    const p = await plan({ cursor });
    expectIndex(p, 'Activity_feed_idx');
    const cond = p.find((n) => n['Index Name'] === 'Activity_feed_idx')!['Index Cond'] ?? '';
    expect(cond).toContain('createdAt');
  });

  it('kind, exact and as a prefix: the (org, kind, createdAt, id) index', async () => {
    expectIndex(await plan({ kind: 'credits.granted' }), 'Activity_kind_idx');
    expectIndex(await plan({ kind: 'credits.*' }), 'Activity_kind_idx');
    expectIndex(await plan({ kind: 'agent.*' }));
  });

  it('agentId: the (agentId, createdAt, id) index', async () => {
    expectIndex(await plan({ agentId }), 'Activity_agent_idx');
  });

  it('projectId: the (projectId, createdAt, id) index', async () => {
    expectIndex(await plan({ projectId }), 'Activity_project_idx');
  });

  it('machine: the (machineId, createdAt, id) index', async () => {
    expectIndex(await plan({ machineIds: [machineId] }), 'Activity_machine_idx');
    expectIndex(await plan({ machineIds: [machineId, randomUUID()] }), 'Activity_machine_idx');
  });

  it('search: the trigram index on searchText', async () => {
    expectIndex(await plan({ search: 'ZEBRA' }), 'Activity_search_idx');
    expectIndex(await plan({ search: 'zebra cross' }), 'Activity_search_idx');
    // A word in every row: still no sequential scan.
    expectIndex(await plan({ search: 'agent' }));
  });
});
