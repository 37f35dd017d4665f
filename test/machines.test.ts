// Machines: each server process registers itself and heartbeats. Two real processes on one PostgreSQL:
// mission control shows both online under their names with the requests they answered, and one stopped
// with SIGTERM turns offline after 3 heartbeat intervals while the other stays online.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Machine, MissionControl } from '../generated/sdk/types.gen.js';
import { MachineStore } from '../server/data/machines.js';
import type { PrismaClient } from '../server/db/database.js';
import { emptyPostgres, type FreshPostgres } from './helpers/postgres.js';
import { startServer, type ServerProcess } from './helpers/processes.js';

// Small enough for a quick test, large enough that a loaded machine does not miss 3 beats in a row.
const HEARTBEAT_MS = 1000;

describe('two server processes on one PostgreSQL', () => {
  let pg: FreshPostgres;
  let a: ServerProcess;
  let b: ServerProcess;
  let key: string;

  const snapshot = async (server: ServerProcess): Promise<MissionControl> => {
    const res = await fetch(server.url('/api/v1/mission-control'), { headers: { Authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: MissionControl }).data;
  };
  const byName = (machines: Machine[], name: string) => machines.find((m) => m.name === name);
  const until = async (ok: () => Promise<boolean>, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    pg = await emptyPostgres('machines');
    if (pg.url === undefined) throw new Error(pg.reason);
    const env = { DATABASE_URL: pg.url, HEARTBEAT_MS: String(HEARTBEAT_MS), DATABASE_POOL_SIZE: '3' };
    // One after the other: the first migrates and prints the key.
    a = await startServer({ ...env, MACHINE_NAME: 'alpha' });
    b = await startServer({ ...env, MACHINE_NAME: 'beta' });
    key = (a.stdout() + b.stdout()).match(/alm_test_[0-9a-f]{48}/)![0];
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await pg?.drop?.();
  });

  it('shows both machines online with their names, version and start time, from either server', async () => {
    const online = async (server: ServerProcess) =>
      (await snapshot(server)).machines
        .filter((m) => m.status === 'online')
        .map((m) => m.name)
        .sort();
    for (const server of [a, b]) {
      await until(async () => (await online(server)).length === 2);
      expect(await online(server)).toEqual(['alpha', 'beta']);
      const { machines } = await snapshot(server);
      for (const m of machines) {
        expect(m.version).toMatch(/^\d+\.\d+\.\d+/);
        expect(Date.parse(m.startedAt)).toBeLessThanOrEqual(Date.parse(m.lastSeenAt));
      }
    }
  });

  it('counts the requests each machine received in its heartbeat', async () => {
    for (let i = 0; i < 5; i++) await fetch(b.url('/api/v1/me'), { headers: { Authorization: `Bearer ${key}` } });
    // Each mission control call to alpha is one more request alpha answered.
    await until(async () => (byName((await snapshot(a)).machines, 'beta')?.requestsLast5m ?? 0) >= 5);
    const { machines } = await snapshot(a);
    expect(byName(machines, 'alpha')!.requestsLast5m).toBeGreaterThanOrEqual(1);
    // Health checks are not API requests: beta's count does not move with them.
    const before = byName(machines, 'beta')!.requestsLast5m;
    for (let i = 0; i < 5; i++) await fetch(b.url('/healthz'));
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 2));
    expect(byName((await snapshot(a)).machines, 'beta')!.requestsLast5m).toBe(before);
  });

  it('names the machine that handled the request in the activity rows it writes', async () => {
    const { machines } = await snapshot(a);
    const beta = byName(machines, 'beta')!;
    const created = await fetch(b.url('/api/v1/agents'), {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Made On Beta' }),
    });
    expect(created.status).toBe(201);
    const res = await fetch(a.url('/api/v1/mission-control?machine=beta&kind=agent.created'), {
      headers: { Authorization: `Bearer ${key}` },
    });
    const feed = ((await res.json()) as { data: MissionControl }).data.activity;
    expect(feed.items.map((i) => [i.subject.name, i.machine])).toEqual([['Made On Beta', { id: beta.id, name: 'beta' }]]);
  });

  it('turns a machine stopped with SIGTERM offline after 3 heartbeats; the other stays online', async () => {
    expect(await b.stop('SIGTERM')).toBe(0);
    const stoppedAt = Date.now();
    await until(async () => byName((await snapshot(a)).machines, 'beta')?.status === 'offline');
    // Not before 3 intervals have passed since its last beat (which came at most one interval before the stop).
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(2 * HEARTBEAT_MS);
    expect(byName((await snapshot(a)).machines, 'alpha')?.status).toBe('online');
  });
});

describe('a heartbeat that fails', () => {
  it('is logged as a warning and never thrown, at start too', async () => {
    const warnings: unknown[] = [];
    const broken = { machine: { upsert: () => Promise.reject(new Error('database down')) } } as unknown as PrismaClient;
    const logger = { warn: (obj: unknown) => warnings.push(obj) } as never;
    const store = new MachineStore(broken, { id: '00000000-0000-4000-8000-000000000001', name: 'x', heartbeatMs: 1000 }, logger);
    await expect(store.beat()).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    // Registration at start is a beat too: the server starts even when it cannot register yet.
    await expect(store.start()).resolves.toBeUndefined();
    store.stop();
    expect(warnings).toHaveLength(2);
  });
});
