import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../server/db/migrate.js';
import { runAdmin, startServer, tempDir, type ServerProcess } from './helpers/processes.js';

// Two real server processes against one PostgreSQL and one Redis. Runs in the PostgreSQL pass of the
// suite (DATABASE_URL set), which CI always runs.
const adminUrl = process.env.DATABASE_URL;
const REDIS_URL = 'redis://127.0.0.1:6379';
if (!adminUrl) console.log('scale-out tests run only with DATABASE_URL set (the PostgreSQL pass of npm test)');

const withDatabase = (url: string, name: string) => Object.assign(new URL(url), { pathname: `/${name}` }).toString();
async function sql(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe.runIf(adminUrl)('two servers on one PostgreSQL and Redis', () => {
  const name = `alumia_scale_${randomBytes(5).toString('hex')}`;
  const url = adminUrl ? withDatabase(adminUrl, name) : '';
  let a: ServerProcess;
  let b: ServerProcess;
  let key: string;

  const call = (server: ServerProcess, path: string, init: RequestInit & { key?: string } = {}) =>
    fetch(server.url(`/api/v1${path}`), {
      ...init,
      headers: { Authorization: `Bearer ${init.key ?? key}`, 'Content-Type': 'application/json', ...init.headers },
    });

  beforeAll(async () => {
    await sql(adminUrl!, `CREATE DATABASE "${name}"`);
    const env = { DATABASE_URL: url, REDIS_URL, KEY_MINT_LIMIT_PER_MINUTE: '3', DATABASE_POOL_SIZE: '4' };
    // Started together on an empty database: both race to migrate and to bootstrap.
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
    key = (a.stdout() + b.stdout()).match(/alm_test_[0-9a-f]{48}/)![0];
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await sql(adminUrl!, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  it('applied each migration once and bootstrapped the first organization once', async () => {
    const rows = await sql(
      url,
      'SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY migration_name ORDER BY migration_name',
    );
    expect(rows).toEqual(readMigrations().map((m) => ({ migration_name: m.name, n: 1 })));
    expect(new Set((a.stdout() + b.stdout()).match(/alm_test_[0-9a-f]{48}/g))).toHaveProperty('size', 1);
    expect([a.stdout(), b.stdout()].filter((out) => out.includes('Created organization'))).toHaveLength(1);
    expect(await sql(url, 'SELECT count(*)::int AS n FROM "Organization"')).toEqual([{ n: 1 }]);
  });

  it('shares the key-minting bucket: the limit holds across both servers', async () => {
    const mint = (server: ServerProcess) => call(server, '/api-keys', { method: 'POST', body: JSON.stringify({ name: 'bucket' }) });
    expect((await mint(a)).status).toBe(201);
    expect((await mint(b)).status).toBe(201);
    expect((await mint(a)).status).toBe(201);
    const refused = await mint(b);
    expect(refused.status).toBe(400);
    expect((await refused.json()).error.message).toContain('Too many requests');
  });

  it('makes a key revoked through one server fail on the other within a second', async () => {
    const { apiKey } = JSON.parse(
      (
        await runAdmin(['bootstrap', '--org', 'default', '--email', `revoke-${randomBytes(3).toString('hex')}@example.test`, '--json'], {
          DATABASE_URL: url,
        })
      ).stdout,
    );
    const me = await (await call(b, '/me', { key: apiKey })).json();
    expect(me.success).toBe(true);
    const revoked = await call(a, `/api-keys/${me.data.apiKey.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    const revokedAt = Date.now();
    expect((await call(a, '/me', { key: apiKey })).status).toBe(401);
    let refusedAfter = Infinity;
    while (Date.now() - revokedAt < 3_000) {
      if ((await call(b, '/me', { key: apiKey })).status === 401) {
        refusedAfter = Date.now() - revokedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(refusedAfter).toBeLessThan(1_000);
  });

  it('creates one Ala and unique slugs when both servers race for a new organization', async () => {
    const org = JSON.parse(
      (
        await runAdmin(
          [
            'bootstrap',
            '--org',
            `race-${randomBytes(3).toString('hex')}`,
            '--email',
            `race-${randomBytes(3).toString('hex')}@example.test`,
            '--json',
          ],
          { DATABASE_URL: url },
        )
      ).stdout,
    );
    const servers = [a, b];
    const lists = await Promise.all(Array.from({ length: 10 }, (_, i) => call(servers[i % 2]!, '/agents', { key: org.apiKey })));
    expect(lists.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await sql(url, `SELECT count(*)::int AS n FROM "Agent" WHERE "orgId" = '${org.orgId}' AND "isDefault"`)).toEqual([{ n: 1 }]);
    const creates = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(servers[i % 2]!, '/agents', { key: org.apiKey, method: 'POST', body: JSON.stringify({ name: 'Twin Agent' }) }),
      ),
    );
    expect(creates.map((r) => r.status)).toEqual(Array(20).fill(201));
    const slugs = await Promise.all(creates.map(async (r) => (await r.json()).data.slug));
    expect(new Set(slugs).size).toBe(20);
  });
});

describe.runIf(adminUrl)('WEB_CONCURRENCY', () => {
  it('runs that many workers on one port and stops them all on SIGTERM', async () => {
    const name = `alumia_workers_${randomBytes(5).toString('hex')}`;
    const url = withDatabase(adminUrl!, name);
    await sql(adminUrl!, `CREATE DATABASE "${name}"`);
    const server = await startServer({ DATABASE_URL: url, WEB_CONCURRENCY: '2' });
    try {
      await server.waitForOutput(() => server.logs().filter((l) => l.msg === 'listening').length === 2, 60_000);
      expect(
        new Set(
          server
            .logs()
            .filter((l) => l.msg === 'listening')
            .map((l) => l.worker),
        ),
      ).toEqual(new Set([1, 2]));
      const key = server.stdout().match(/alm_test_[0-9a-f]{48}/)![0];
      const statuses = await Promise.all(
        Array.from({ length: 8 }, () =>
          fetch(server.url('/api/v1/me'), { headers: { Authorization: `Bearer ${key}` } }).then((r) => r.status),
        ),
      );
      expect(statuses).toEqual(Array(8).fill(200));
      expect(await server.stop('SIGTERM')).toBe(0);
    } finally {
      await server.stop('SIGKILL');
      await sql(adminUrl!, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  }, 120_000);
});

describe('WEB_CONCURRENCY on the embedded database', () => {
  it('refuses to start workers on the embedded database', async () => {
    const dir = tempDir('workers');
    try {
      await expect(startServer({ DATA_DIR: dir.path, WEB_CONCURRENCY: '2' }, 30_000)).rejects.toThrow(/needs DATABASE_URL/);
    } finally {
      dir.remove();
    }
  });
});
