import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openEmbedded, openPostgres, type Database } from '../server/db/database.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { appOver, openEmbeddedCopy, startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { within } from './helpers/raw-http.js';

/** A well-formed key that matches no row: enough to reach the database. */
const someKey = () => `Bearer alm_test_${randomBytes(24).toString('hex')}`;

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
});
afterAll(() => h.close());

describe('database unreachable: 503 SERVICE_UNAVAILABLE, bounded, and /readyz 503', () => {
  const expectUnavailable = async (db: Database) => {
    const { http } = appOver(db);
    const me = await within(
      10_000,
      http
        .get('/api/v1/me')
        .set('Authorization', someKey())
        .then((r) => r),
    );
    expectError(me, 'SERVICE_UNAVAILABLE');
    expect(me.headers['retry-after']).toBeDefined();
    expectError(
      await within(
        10_000,
        http.get('/readyz').then((r) => r),
      ),
      'SERVICE_UNAVAILABLE',
    );
    // Liveness does not touch the database.
    expectSuccess(await http.get('/healthz'));
  };

  it('when nothing listens on the database port', async () => {
    const db = await openPostgres('postgresql://postgres@127.0.0.1:1/x', { timeoutMs: 1000, poolSize: 2 });
    try {
      await expectUnavailable(db);
    } finally {
      await db.close();
    }
  });

  it('when the database accepts connections but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const db = await openPostgres(`postgresql://postgres@127.0.0.1:${port}/x`, { timeoutMs: 1000, poolSize: 2 });
    try {
      await expectUnavailable(db);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await db.close().catch(() => {});
    }
  });

  it('when the embedded database is closed underneath the app', async () => {
    const pglite = await openEmbeddedCopy();
    const db = await openEmbedded(pglite, { timeoutMs: 1000, poolSize: 1 });
    await pglite.close();
    await expectUnavailable(db);
  });

  // Only a real server can go away and come back, or hold a lock, so these exist on PostgreSQL runs only.
  const recoveryTest = inject('postgres') ? it : undefined;

  recoveryTest?.('when a statement waits past a timeout (a table lock held elsewhere), never 500', async () => {
    const dbName = new URL(h.url!).pathname.slice(1);
    const locker = new pg.Client({ connectionString: h.url });
    await locker.connect();
    const attempt = async (times: number) => {
      // A new pool each time, so new connections pick up the database's settings.
      const db = await openPostgres(h.url!, { timeoutMs: 1000, poolSize: 2 });
      try {
        const { http } = appOver(db);
        for (let i = 0; i < times; i++) {
          expectError(
            await within(
              10_000,
              http
                .get('/api/v1/me')
                .set(t.auth)
                .then((r) => r),
            ),
            'SERVICE_UNAVAILABLE',
          );
        }
      } finally {
        await db.close();
      }
    };
    try {
      // An operator's lock_timeout (shorter than ours) fails the wait first, deterministically.
      await locker.query(`ALTER DATABASE "${dbName}" SET lock_timeout = '200ms'`);
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE "ApiKey" IN ACCESS EXCLUSIVE MODE');
      await attempt(1);
      await locker.query('ROLLBACK');
      // Without it, our server-side statement timeout and client-side query timeout race; both are a 503.
      await locker.query(`ALTER DATABASE "${dbName}" RESET lock_timeout`);
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE "ApiKey" IN ACCESS EXCLUSIVE MODE');
      await attempt(3);
      await locker.query('ROLLBACK');
      const db = await openPostgres(h.url!, { timeoutMs: 1000, poolSize: 2 });
      expectSuccess(await appOver(db).http.get('/api/v1/me').set(t.auth));
      await db.close();
    } finally {
      await locker.end();
    }
  });

  recoveryTest?.('recovers by itself when PostgreSQL comes back', async () => {
    const target = new URL(h.url!);
    let up = true;
    const open = new Set<Socket>();
    const proxy: Server = createServer((client) => {
      open.add(client);
      client.on('close', () => open.delete(client));
      client.on('error', () => {});
      if (!up) return void client.destroy();
      const upstream = connect(Number(target.port || 5432), target.hostname);
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const viaProxy = new URL(h.url!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String((proxy.address() as { port: number }).port);
    const db = await openPostgres(viaProxy.toString(), { timeoutMs: 1000, poolSize: 2 });
    try {
      const { http } = appOver(db);
      expectSuccess(await http.get('/api/v1/me').set(t.auth));
      // The database goes away: live connections drop and new ones are refused.
      up = false;
      for (const s of open) s.destroy();
      expectError(
        await within(
          10_000,
          http
            .get('/api/v1/me')
            .set(t.auth)
            .then((r) => r),
        ),
        'SERVICE_UNAVAILABLE',
      );
      expectError(
        await within(
          10_000,
          http.get('/readyz').then((r) => r),
        ),
        'SERVICE_UNAVAILABLE',
      );
      // It comes back: the next requests succeed without a restart.
      up = true;
      expectSuccess(await http.get('/readyz'));
      expectSuccess(await http.get('/api/v1/me').set(t.auth));
    } finally {
      await db.close().catch(() => {});
      for (const s of open) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
