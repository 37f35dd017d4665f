import { describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.js';
import { openDatabase } from '../server/db/database.js';
import { createLogger } from '../server/logger.js';
import { postgresCasesSkipped, until } from './helpers/faults.js';
import { emptyPostgres } from './helpers/postgres.js';
import { isRunning, startServer, tempDir, type ServerProcess } from './helpers/processes.js';
import { startUpstream } from './helpers/upstream.js';

/**
 * kill -9 mid-burst: a real server process creates sessions, posts messages, chats and mints keys as fast
 * as eight clients can ask, and is SIGKILLed. Afterwards every acknowledged (2xx) change has exactly its
 * activity row, and every activity row's subject exists: no row without its change, no change without its
 * row, whatever the kill cut off.
 */

const pgReason = await postgresCasesSkipped('activity.crash.test.ts');
const KEY_IN_OUTPUT = /alm_test_[0-9a-f]{48}/;

interface Target {
  name: string;
  env(): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }>;
}
const targets: Target[] = [
  ...(pgReason
    ? []
    : [
        {
          name: 'PostgreSQL',
          async env() {
            const fresh = await emptyPostgres('activity_crash');
            if (fresh.reason !== undefined) throw new Error(fresh.reason);
            return { env: { DATABASE_URL: fresh.url }, cleanup: fresh.drop };
          },
        },
      ]),
  {
    name: 'the embedded data dir',
    env() {
      const dir = tempDir('activity-crash');
      return Promise.resolve({ env: { DATA_DIR: dir.path }, cleanup: () => Promise.resolve(dir.remove()) });
    },
  },
];

/** What an acknowledged answer promises: these subjects each have exactly one row of this kind. */
type Promised = Array<{ kind: string; subjectId: string }>;

async function send(port: number, key: string, method: string, path: string, body?: unknown) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as { data: any } };
  } catch {
    return undefined; // cut off by the kill
  }
}

describe('kill -9 mid-burst', () => {
  it.each(targets)(
    '$name: every acknowledged change has exactly its activity row, and every row its subject',
    async (target) => {
      const { env, cleanup } = await target.env();
      const up = await startUpstream();
      const common = { ...env, DISABLE_RATE_LIMIT: '1', XAI_API_KEY: 'xai-test', XAI_BASE_URL: up.baseURL, INITIAL_CREDITS: '1000' };
      let server: ServerProcess | undefined;
      const promised: Promised = [];
      let cut = 0;
      try {
        server = await startServer(common);
        const key = KEY_IN_OUTPUT.exec(server.stdout())![0];
        const port = server.port;
        let killed = false;
        const ok = (r: Awaited<ReturnType<typeof send>>, status: number) => {
          if (r === undefined) cut++;
          else if (r.status !== status) throw new Error(`unexpected ${r.status} ${JSON.stringify(r.json)}`);
          return r?.status === status ? r.json.data : undefined;
        };
        const worker = async (w: number) => {
          for (let i = 0; !killed; i++) {
            const s = ok(await send(port, key, 'POST', '/sessions', { title: `Crash ${w}-${i}`, agentIds: ['ala'] }), 201);
            if (!s) continue;
            promised.push({ kind: 'session.created', subjectId: s.id });
            const m = ok(await send(port, key, 'POST', `/sessions/${s.id}/messages`, { content: `message ${w}-${i}` }), 201);
            if (m) promised.push({ kind: 'message.posted', subjectId: m.id });
            if (i % 2 === 0) {
              const c = ok(await send(port, key, 'POST', `/sessions/${s.id}/chat`, { content: `chat ${w}-${i}`, stream: false }), 201);
              if (c) promised.push({ kind: 'message.posted', subjectId: c.message.id }, { kind: 'chat.replied', subjectId: c.reply.id });
            }
            if (i % 3 === 0) {
              const k = ok(await send(port, key, 'POST', '/api-keys', { name: `crash ${w}-${i}` }), 201);
              if (k) promised.push({ kind: 'api_key.minted', subjectId: k.id });
            }
            if (i % 4 === 1) {
              if (ok(await send(port, key, 'DELETE', `/sessions/${s.id}`), 200))
                promised.push({ kind: 'session.deleted', subjectId: s.id });
            }
          }
        };
        const workers = Array.from({ length: 8 }, (_, w) => worker(w));
        await until(60_000, () => Promise.resolve(promised.length >= 150));
        const pid = server.child.pid!;
        process.kill(pid, 'SIGKILL'); // no chance to flush, close or finish anything
        killed = true;
        await Promise.all(workers);
        await server.exited;
        expect(isRunning(pid)).toBe(false);
      } finally {
        await server?.stop('SIGKILL');
        await up.close();
      }

      // The database as the killed server left it (the embedded data dir opens once its process is gone).
      const db = await openDatabase(loadConfig({ ...env, NODE_ENV: 'test' }), createLogger('silent'));
      try {
        const rows = await db.prisma.activity.findMany({ select: { kind: true, subjectId: true, subjectType: true } });
        const count = new Map<string, number>();
        for (const r of rows) count.set(`${r.kind} ${r.subjectId}`, (count.get(`${r.kind} ${r.subjectId}`) ?? 0) + 1);
        const wrong = promised.filter((p) => count.get(`${p.kind} ${p.subjectId}`) !== 1);
        expect(wrong, `acknowledged changes without exactly one row (of ${promised.length})`).toEqual([]);

        // Every subject type, and where its rows are: a row whose subject is missing was written without its change.
        const tables: Record<string, (ids: string[]) => Promise<Array<{ id: string }>>> = {
          session: (ids) => db.prisma.session.findMany({ where: { id: { in: ids } }, select: { id: true } }),
          message: (ids) => db.prisma.message.findMany({ where: { id: { in: ids } }, select: { id: true } }),
          api_key: (ids) => db.prisma.apiKey.findMany({ where: { id: { in: ids } }, select: { id: true } }),
          organization: (ids) => db.prisma.organization.findMany({ where: { id: { in: ids } }, select: { id: true } }),
          agent: (ids) => db.prisma.agent.findMany({ where: { id: { in: ids } }, select: { id: true } }),
        };
        expect(rows.filter((r) => !(r.subjectType in tables))).toEqual([]);
        const orphans: string[] = [];
        for (const [type, find] of Object.entries(tables)) {
          const ids = rows.filter((r) => r.subjectType === type).map((r) => r.subjectId);
          const found = new Set((await find(ids)).map((f) => f.id));
          orphans.push(...ids.filter((id) => !found.has(id)).map((id) => `${type} ${id}`));
        }
        expect(orphans, 'activity rows whose subject was not stored').toEqual([]);
        // Deleted sessions are deleted, and the rest are live.
        const deleted = promised.filter((p) => p.kind === 'session.deleted').map((p) => p.subjectId);
        expect(await db.prisma.session.count({ where: { id: { in: deleted }, deletedAt: null } })).toBe(0);
        console.log(
          `${target.name}: ${promised.length} acknowledged changes, ${rows.length} activity rows, ${cut} requests cut off by the kill`,
        );
      } finally {
        await db.close();
        await cleanup();
      }
    },
    240_000,
  );
});
