// Set-up of the mission control bench: a server process from a source tree (this checkout, or another
// tree such as the commit before activity rows), a fresh PostgreSQL database it migrates and bootstraps,
// and the bulk SQL seed of the sizes: 10,000 agents and 100,000 activity rows in one org.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { log, sleep } from './lib.js';
import { createDatabase, dropDatabase } from './postgres.js';
import { freePort, startProcess, stopProcess, waitReady, type Spawned } from './processes.js';

export interface BenchServer {
  proc: Spawned;
  base: string;
  key: string;
  stop: () => Promise<unknown>;
}

/** `node --import tsx server/main.ts` in `root` (one process, so its CPU time is the server's alone). */
export async function startSourceServer(
  root: string,
  url: string,
  logFile: string,
  env: Record<string, string> = {},
): Promise<BenchServer> {
  const port = await freePort();
  const proc = startProcess(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    logFile,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      DISABLE_RATE_LIMIT: '1',
      LOG_LEVEL: 'warn',
      MACHINE_NAME: 'bench-1',
      ...env,
    },
  });
  await waitReady(`http://127.0.0.1:${port}/readyz`, proc, 120_000, 50);
  // The first start prints its key; the log file is shared, so take the last one printed.
  let key: string | undefined;
  for (let i = 0; i < 100 && !key; i++) {
    key = readFileSync(logFile, 'utf8')
      .match(/alm_test_[0-9a-f]{48}/g)
      ?.pop();
    if (!key) await sleep(50);
  }
  if (!key) throw new Error('the server printed no API key');
  return { proc, base: `http://127.0.0.1:${port}/api/v1`, key, stop: () => stopProcess(proc) };
}

export async function freshDatabase(adminUrl: string, label: string) {
  const name = `alumia_bench_${label}_${process.pid}_${Date.now()}`;
  const url = await createDatabase(adminUrl, name);
  return { name, url, drop: () => dropDatabase(adminUrl, name) };
}

export const AGENTS = 10_000;
export const ACTIVITY = 100_000;
export const PROJECTS = 100;
/** 1 row in 1,000 mentions it: the selective search. */
export const RARE_WORD = 'zebra';

export interface Seeded {
  orgId: string;
  agentSlug: string;
  projectSlug: string;
  machineName: string;
  ms: number;
}

/** Bulk SQL: agents, projects, extra machines and activity rows spread over a week, then ANALYZE. */
export async function seed(url: string): Promise<Seeded> {
  const started = performance.now();
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const org = await db.query<{ id: string; ws: string }>(
      `SELECT o.id, w.id AS ws FROM "Organization" o JOIN "Workspace" w ON w."orgId" = o.id LIMIT 1`,
    );
    const { id: orgId, ws } = org.rows[0]!;
    await db.query(
      `INSERT INTO "Agent" ("orgId", "workspaceId", name, slug, avatar, model, settings, "updatedAt")
       SELECT $1::uuid, $2::uuid, 'Agent ' || g, 'agent-' || g, 'owl', 'grok-3', '{}', now() - g * interval '1 second'
       FROM generate_series(1, ${AGENTS}) g`,
      [orgId, ws],
    );
    await db.query(
      `INSERT INTO "Project" ("orgId", "workspaceId", name, slug) SELECT $1::uuid, $2::uuid, 'Project ' || g, 'project-' || g
       FROM generate_series(1, ${PROJECTS}) g`,
      [orgId, ws],
    );
    await db.query(
      `INSERT INTO "Machine" (id, name, version, "startedAt", "lastSeenAt")
       SELECT gen_random_uuid(), 'seed-' || g, '0.1.0', now() - interval '1 day', now() - g * interval '1 hour' FROM generate_series(1, 3) g`,
    );
    // Every kind, 10 rows per agent on average, a project on a third of them, one of four machines, a
    // week of history, 10% org-wide and the rest in the workspace.
    await db.query(
      `WITH a AS (SELECT array_agg(id ORDER BY slug) AS ids FROM "Agent" WHERE "orgId" = $1::uuid AND NOT "isDefault"),
            p AS (SELECT array_agg(id ORDER BY slug) AS ids FROM "Project" WHERE "orgId" = $1::uuid),
            m AS (SELECT array_agg(id ORDER BY name) AS ids FROM "Machine"),
            k AS (SELECT ARRAY['agent.created','agent.updated','agent.deleted','session.created','session.updated','session.deleted',
                    'message.posted','chat.replied','api_key.minted','api_key.revoked','project.created','project.updated',
                    'project.deleted','block.created','block.updated','block.deleted','credits.granted'] AS kinds)
       INSERT INTO "Activity" ("orgId", "workspaceId", kind, "actorType", "actorId", "actorName", "subjectType", "subjectId",
         "subjectName", "agentId", "projectId", "machineId", summary, "createdAt")
       SELECT $1::uuid, CASE WHEN g % 10 = 0 THEN NULL ELSE $2::uuid END, k.kinds[1 + g % 17], 'api_key', NULL, 'Bench key', 'agent',
         a.ids[1 + g % ${AGENTS}], 'Agent ' || (1 + g % ${AGENTS}), a.ids[1 + g % ${AGENTS}],
         CASE WHEN g % 3 = 0 THEN p.ids[1 + g % ${PROJECTS}] END, m.ids[1 + g % 4],
         CASE WHEN g % 1000 = 7 THEN 'Bench key saw a ${RARE_WORD} near agent ' || g ELSE 'Bench key changed agent ' || g END,
         now() - (g * 6) * interval '1 second'
       FROM generate_series(1, ${ACTIVITY}) g, a, p, m, k`,
      [orgId, ws],
    );
    await db.query('ANALYZE');
    const machine = (await db.query<{ name: string }>(`SELECT name FROM "Machine" ORDER BY name LIMIT 1`)).rows[0];
    log(`seed: ${AGENTS} agents, ${PROJECTS} projects, ${ACTIVITY} activity rows in ${Math.round(performance.now() - started)} ms`);
    return { orgId, agentSlug: 'agent-4242', projectSlug: 'project-42', machineName: machine!.name, ms: performance.now() - started };
  } finally {
    await db.end();
  }
}

/** User plus system CPU of a process so far, in ms (Linux /proc). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(join('/proc', String(pid), 'stat'), 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the command), in clock ticks (100/s on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
