import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../server/config.js';
import { openDatabase, openPostgres, type Database } from '../server/db/database.js';
import { createLogger } from '../server/logger.js';
import { expectSuccess } from './helpers/envelope.js';
import { appOver } from './helpers/harness.js';
import { runAdmin, startServer, tempDir, type CliResult } from './helpers/processes.js';
import { withDatabase } from './setup/global.js';

/**
 * `tsx server/admin.ts bootstrap ...` as an operator runs it. PGlite needs several seconds to create a data
 * dir, so the embedded tests share one dir (bootstrapped in beforeAll) and use generous timeouts.
 */

const RESULT_KEYS = ['apiKey', 'email', 'orgId', 'orgSlug', 'role', 'userId', 'workspaceId', 'workspaceSlug'];
const KEY = /^alm_test_[0-9a-f]{48}$/;
const SLOW = 120_000;

type Result = {
  orgId: string;
  orgSlug: string;
  userId: string;
  email: string;
  role: string;
  workspaceId: string;
  workspaceSlug: string;
  apiKey: string;
};

/** Exit 0 and exactly one JSON object on stdout with exactly the documented keys. */
function expectBootstrapped(run: CliResult): Result {
  expect(run.code, run.stderr).toBe(0);
  const lines = run.stdout.split('\n').filter((l) => l.trim() !== '');
  expect(lines, run.stdout).toHaveLength(1);
  const result = JSON.parse(lines[0]!) as Result;
  expect(Object.keys(result).sort()).toEqual(RESULT_KEYS);
  expect(result.apiKey).toMatch(KEY);
  return result;
}

/** Usage errors: exit 2, a message on stderr, nothing on stdout. */
function expectUsageError(run: CliResult, message: RegExp) {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(message);
}

/** Calls `fn` with an app over the embedded data dir; the dir is locked meanwhile, so it is closed after. */
async function withEmbeddedApp<T>(dataDir: string, fn: (http: ReturnType<typeof appOver>['http']) => Promise<T>): Promise<T> {
  const db = await openDatabase(loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'test' }), createLogger('silent'));
  try {
    return await fn(appOver(db).http);
  } finally {
    await db.close();
  }
}

const postgres = inject('postgres');
// The PostgreSQL pass runs only what depends on the database: the embedded and usage cases ran in the
// embedded pass already.
if (postgres)
  console.log(
    'admin-cli.test.ts: PostgreSQL run, so only "bootstrap on PostgreSQL" and "credits"; the embedded and usage cases run without DATABASE_URL',
  );

describe.skipIf(postgres)('bootstrap on the embedded database', () => {
  const dir = tempDir('admin');
  const env = { DATA_DIR: dir.path };
  let first: Result;

  beforeAll(async () => {
    first = expectBootstrapped(await runAdmin(['bootstrap', '--org', 'acme', '--email', 'a@acme.test', '--json'], env));
  }, SLOW);
  afterAll(() => dir.remove());

  it('makes the first user of a new org its owner, in workspace "default"', () => {
    expect(first).toMatchObject({ orgSlug: 'acme', email: 'a@acme.test', role: 'owner', workspaceSlug: 'default' });
  });

  it(
    'makes a second email in the same org a member; --role admin and --workspace are honoured',
    async () => {
      const second = expectBootstrapped(await runAdmin(['bootstrap', '--org', 'acme', '--email', 'B@Acme.test', '--json'], env));
      expect(second).toMatchObject({
        orgId: first.orgId,
        orgSlug: 'acme',
        email: 'b@acme.test',
        role: 'member',
        workspaceSlug: 'default',
        workspaceId: first.workspaceId,
      });
      const third = expectBootstrapped(
        await runAdmin(
          ['bootstrap', '--org', 'acme', '--email', 'c@acme.test', '--role', 'admin', '--workspace', 'research', '--json'],
          env,
        ),
      );
      expect(third).toMatchObject({ orgId: first.orgId, role: 'admin', workspaceSlug: 'research' });
      expect(third.workspaceId).not.toBe(first.workspaceId);
      // The keys work against an app over the same data dir, and say who they belong to.
      await withEmbeddedApp(dir.path, async (http) => {
        const me = expectSuccess(await http.get('/api/v1/me').set('Authorization', `Bearer ${third.apiKey}`));
        expect(me).toMatchObject({
          role: 'admin',
          org: { slug: 'acme' },
          user: { email: 'c@acme.test' },
          currentWorkspace: { slug: 'research' },
        });
        const member = expectSuccess(await http.get('/api/v1/me').set('Authorization', `Bearer ${second.apiKey}`));
        expect(member).toMatchObject({ role: 'member', currentWorkspace: { id: first.workspaceId } });
      });
    },
    SLOW,
  );

  it(
    'makes the first user of another new org whatever --role says',
    async () => {
      const beta = expectBootstrapped(
        await runAdmin(['bootstrap', '--org', 'beta', '--email', 'a@acme.test', '--role', 'member', '--json'], env),
      );
      expect(beta).toMatchObject({ orgSlug: 'beta', role: 'member', userId: first.userId, workspaceSlug: 'default' });
      expect(beta.orgId).not.toBe(first.orgId);
    },
    SLOW,
  );

  it(
    'gives a key that works against an app over the same data dir once the CLI has exited',
    async () => {
      await withEmbeddedApp(dir.path, async (http) => {
        const me = expectSuccess(await http.get('/api/v1/me').set('Authorization', `Bearer ${first.apiKey}`));
        expect(me).toMatchObject({
          user: { id: first.userId, email: 'a@acme.test' },
          org: { id: first.orgId, slug: 'acme' },
          role: 'owner',
          currentWorkspace: { id: first.workspaceId, slug: 'default' },
        });
      });
    },
    SLOW,
  );

  it(
    'refuses while a server holds the data dir, with a clear "in use" error, and leaves the data intact',
    async () => {
      const server = await startServer({ DATA_DIR: dir.path });
      let blocked: CliResult;
      try {
        blocked = await runAdmin(['bootstrap', '--org', 'acme', '--email', 'd@acme.test', '--json'], env);
        // The server kept working throughout.
        expect((await fetch(server.url('/readyz'))).status).toBe(200);
      } finally {
        expect(await server.stop('SIGTERM')).toBe(0);
      }
      expect(blocked.code).not.toBe(0);
      expect(blocked.stdout).toBe('');
      expect(blocked.stderr).toMatch(/in use/);
      expect(blocked.stderr).toContain(dir.path.split('/').pop()!);

      // Afterwards the dir works: the refused user was never created, earlier keys still work, and a rerun
      // for an existing user keeps their role and mints another key.
      const again = expectBootstrapped(await runAdmin(['bootstrap', '--org', 'acme', '--email', 'a@acme.test', '--json'], env));
      expect(again).toMatchObject({ orgId: first.orgId, userId: first.userId, role: 'owner', workspaceId: first.workspaceId });
      expect(again.apiKey).not.toBe(first.apiKey);
      await withEmbeddedApp(dir.path, async (http) => {
        expectSuccess(await http.get('/api/v1/me').set('Authorization', `Bearer ${first.apiKey}`));
        expectSuccess(await http.get('/api/v1/me').set('Authorization', `Bearer ${again.apiKey}`));
      });
    },
    SLOW,
  );
});

describe.skipIf(postgres)('invalid arguments', () => {
  // A data dir that must not come into existence: usage errors are caught before the database opens.
  const dir = tempDir('admin-usage');
  const env = { DATA_DIR: join(dir.path, 'never') };
  afterAll(() => dir.remove());

  it.each([
    ['a missing --org', ['bootstrap', '--email', 'a@acme.test', '--json'], /--org/],
    ['a bad --role', ['bootstrap', '--org', 'acme', '--email', 'a@acme.test', '--role', 'superuser', '--json'], /--role/],
    ['a bad org slug', ['bootstrap', '--org', 'Not A Slug!', '--email', 'a@acme.test', '--json'], /--org/],
    ['a bad workspace slug', ['bootstrap', '--org', 'acme', '--email', 'a@acme.test', '--workspace', 'Bad_Slug', '--json'], /--workspace/],
    ['a bad email', ['bootstrap', '--org', 'acme', '--email', 'not-an-email', '--json'], /--email/],
    ['an unknown command', ['destroy', '--org', 'acme', '--email', 'a@acme.test', '--json'], /command/],
    ['no command', ['--org', 'acme', '--email', 'a@acme.test'], /command/],
    ['an unknown option', ['bootstrap', '--org', 'acme', '--email', 'a@acme.test', '--force'], /force/],
    ['credits grant without --credits', ['credits', 'grant', '--org', 'acme', '--json'], /--credits must be a positive number/],
    [
      'credits grant --credits abc',
      ['credits', 'grant', '--org', 'acme', '--credits', 'abc', '--json'],
      /--credits must be a positive number/,
    ],
    ['credits grant --credits=-1', ['credits', 'grant', '--org', 'acme', '--credits=-1', '--json'], /--credits must be a positive number/],
    ['credits grant --credits -1', ['credits', 'grant', '--org', 'acme', '--credits', '-1', '--json'], /--credits/],
    ['credits grant with 7 decimals', ['credits', 'grant', '--org', 'acme', '--credits', '1.1234567', '--json'], /at most 6 decimals/],
    ['credits grant --credits 0', ['credits', 'grant', '--org', 'acme', '--credits', '0', '--json'], /--credits must be a positive number/],
    ['credits grant over the maximum', ['credits', 'grant', '--org', 'acme', '--credits', '1000000001', '--json'], /--credits/],
    ['credits grant without --org', ['credits', 'grant', '--credits', '1', '--json'], /--org/],
    ['an unknown credits command', ['credits', 'revoke', '--org', 'acme', '--credits', '1', '--json'], /command/],
    ['a note over 500 characters', ['credits', 'grant', '--org', 'acme', '--credits', '1', '--note', 'x'.repeat(501)], /--note/],
  ])(
    'exits 2 with a message on stderr and nothing on stdout for %s',
    async (_label, args, message) => {
      expectUsageError(await runAdmin(args, env), message);
      expect(existsSync(env.DATA_DIR)).toBe(false);
    },
    SLOW,
  );

  it(
    'prints the usage of both commands with a usage error',
    async () => {
      const run = await runAdmin(['credits', 'grant', '--org', 'acme', '--credits', 'abc'], env);
      expectUsageError(run, /credits grant --org <slug> --credits <n>/);
      expect(run.stderr).toMatch(/bootstrap --org <slug> --email <email>/);
    },
    SLOW,
  );
});

/**
 * `credits grant` and INITIAL_CREDITS, against a database of their own: a data dir in the embedded pass,
 * a PostgreSQL database (a copy of the migrated template) in the PostgreSQL pass.
 */
describe('credits', () => {
  const GRANT_KEYS = ['balance', 'granted', 'orgId', 'orgSlug'];
  const dir = postgres ? undefined : tempDir('admin-credits');
  const dbName = postgres ? `${postgres.prefix}_credits` : '';
  const env: Record<string, string> = postgres ? { DATABASE_URL: withDatabase(postgres.adminUrl, dbName) } : { DATA_DIR: dir!.path };
  let owner: Result;

  /** Reads the database once the CLI has exited (the embedded data dir admits one process at a time). */
  async function inspect<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    const db = await openDatabase(loadConfig({ ...env, NODE_ENV: 'test' }), createLogger('silent'));
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }
  /** An org's balance and its ledger, read in one opening of the database. */
  const creditsOf = (orgId: string) =>
    inspect(async (db) => ({
      balance: (await db.prisma.organization.findUniqueOrThrow({ where: { id: orgId } })).creditBalanceMicro,
      ledger: await db.prisma.creditLedger.findMany({
        where: { orgId },
        orderBy: { createdAt: 'asc' },
        select: { kind: true, amountMicro: true, note: true },
      }),
    }));

  /** Exit 0 and exactly one JSON object, with exactly the documented keys. */
  function expectGranted(run: CliResult) {
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n').filter((l) => l.trim() !== '');
    expect(lines, run.stdout).toHaveLength(1);
    const result = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(GRANT_KEYS);
    return result;
  }

  beforeAll(async () => {
    if (postgres) {
      const admin = new pg.Client({ connectionString: postgres.adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${dbName}" TEMPLATE "${postgres.template}"`);
      await admin.end();
    }
    owner = expectBootstrapped(
      await runAdmin(['bootstrap', '--org', 'fund', '--email', 'a@fund.test', '--json'], { ...env, INITIAL_CREDITS: '3' }),
    );
  }, SLOW);
  afterAll(async () => {
    dir?.remove();
    if (postgres) {
      const admin = new pg.Client({ connectionString: postgres.adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await admin.end();
    }
  });

  it(
    'bootstrap creates a new org with INITIAL_CREDITS; bootstrapping into it again grants nothing more',
    async () => {
      expect(await creditsOf(owner.orgId)).toEqual({
        balance: 3_000_000n,
        ledger: [{ kind: 'grant', amountMicro: 3_000_000n, note: expect.stringContaining('INITIAL_CREDITS') }],
      });
      const member = expectBootstrapped(
        await runAdmin(['bootstrap', '--org', 'fund', '--email', 'b@fund.test', '--json'], { ...env, INITIAL_CREDITS: '3' }),
      );
      expect(member).toMatchObject({ orgId: owner.orgId, role: 'member' });
      expect(await creditsOf(owner.orgId)).toMatchObject({ balance: 3_000_000n, ledger: [expect.anything()] });
      // Without INITIAL_CREDITS a new org starts at 0, with no ledger row.
      const bare = expectBootstrapped(await runAdmin(['bootstrap', '--org', 'bare', '--email', 'a@fund.test', '--json'], env));
      expect(await creditsOf(bare.orgId)).toEqual({ balance: 0n, ledger: [] });
    },
    SLOW,
  );

  it(
    'credits grant prints one JSON object and adds up across grants, each a ledger row',
    async () => {
      const first = expectGranted(await runAdmin(['credits', 'grant', '--org', 'fund', '--credits', '2.5', '--json'], env));
      expect(first).toStrictEqual({
        orgSlug: 'fund',
        orgId: owner.orgId,
        granted: { credits: 2.5, creditMicro: 2_500_000 },
        balance: { credits: 5.5, creditMicro: 5_500_000 },
      });
      const second = expectGranted(
        await runAdmin(['credits', 'grant', '--org', 'fund', '--credits', '0.000001', '--note', 'top-up #2', '--json'], env),
      );
      expect(second).toStrictEqual({
        orgSlug: 'fund',
        orgId: owner.orgId,
        granted: { credits: 0.000001, creditMicro: 1 },
        balance: { credits: 5.500001, creditMicro: 5_500_001 },
      });
      expect(await creditsOf(owner.orgId)).toEqual({
        balance: 5_500_001n,
        ledger: [
          { kind: 'grant', amountMicro: 3_000_000n, note: expect.any(String) },
          { kind: 'grant', amountMicro: 2_500_000n, note: expect.any(String) },
          { kind: 'grant', amountMicro: 1n, note: 'top-up #2' },
        ],
      });
      // The API reads the same balance.
      await inspect(async (db) => {
        const { http } = appOver(db);
        const res = await http.get('/api/v1/billing/credits').set('Authorization', `Bearer ${owner.apiKey}`);
        expect(expectSuccess(res)).toStrictEqual({ credits: 5.500001, creditMicro: 5_500_001 });
      });
    },
    SLOW,
  );

  it(
    'the initial credits and each grant write one credits.granted row: the system as actor, the org as subject, no machine',
    async () => {
      const rows = await inspect((db) =>
        db.prisma.activity.findMany({
          where: { orgId: owner.orgId, kind: 'credits.granted' },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        }),
      );
      expect(rows.map((r) => (r.details as { creditMicro: number }).creditMicro)).toEqual([3_000_000, 2_500_000, 1]);
      for (const r of rows) {
        expect(r).toMatchObject({
          actorType: 'system',
          actorId: null,
          subjectType: 'organization',
          subjectId: owner.orgId,
          workspaceId: null,
          machineId: null,
        });
      }
      expect(rows[2]).toMatchObject({
        summary: '0.000001 credits were granted to fund',
        details: { note: 'top-up #2', credits: 0.000001 },
      });
      // The admin command's own bootstrap key is in the feed by name, never as the key.
      const minted = await inspect((db) => db.prisma.activity.findMany({ where: { orgId: owner.orgId, kind: 'api_key.minted' } }));
      expect(minted.map((r) => r.subjectName)).toEqual(['admin bootstrap', 'admin bootstrap']);
      expect(JSON.stringify(minted)).not.toContain(owner.apiKey);
    },
    SLOW,
  );

  it(
    'credits grant to an unknown org exits 1 naming it and writes nothing',
    async () => {
      const counts = () =>
        inspect(async (db) => ({ ledger: await db.prisma.creditLedger.count(), orgs: await db.prisma.organization.count() }));
      const before = await counts();
      const run = await runAdmin(['credits', 'grant', '--org', 'nobody', '--credits', '1', '--json'], env);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/Organization nobody not found/);
      expect(await counts()).toEqual(before);
    },
    SLOW,
  );
});

if (postgres) {
  describe('bootstrap on PostgreSQL', () => {
    const name = `${postgres.prefix}_cli`;
    const url = withDatabase(postgres.adminUrl, name);
    let db: Database;

    beforeAll(async () => {
      const admin = new pg.Client({ connectionString: postgres.adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      await admin.end();
    });
    afterAll(async () => {
      await db?.close();
      const admin = new pg.Client({ connectionString: postgres.adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    });

    it(
      'migrates a fresh database, bootstraps owner then member, and the keys work while a server is connected',
      async () => {
        const env = { DATABASE_URL: url };
        const owner = expectBootstrapped(await runAdmin(['bootstrap', '--org', 'acme', '--email', 'a@acme.test', '--json'], env));
        expect(owner).toMatchObject({ orgSlug: 'acme', role: 'owner', workspaceSlug: 'default' });
        db = await openPostgres(url, { timeoutMs: 5000, poolSize: 2 });
        const { http } = appOver(db);
        expectSuccess(await http.get('/api/v1/me').set('Authorization', `Bearer ${owner.apiKey}`));
        // With the app connected (PostgreSQL has no single-owner lock), the CLI still runs.
        const member = expectBootstrapped(
          await runAdmin(['bootstrap', '--org', 'acme', '--email', 'b@acme.test', '--workspace', 'ops', '--json'], env),
        );
        expect(member).toMatchObject({ orgId: owner.orgId, role: 'member', workspaceSlug: 'ops' });
        const me = expectSuccess(await http.get('/api/v1/me').set('Authorization', `Bearer ${member.apiKey}`));
        expect(me).toMatchObject({ role: 'member', currentWorkspace: { slug: 'ops' } });
      },
      SLOW,
    );
  });
}
