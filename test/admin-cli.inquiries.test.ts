import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../server/config.js';
import { openDatabase, type Database } from '../server/db/database.js';
import { createLogger } from '../server/logger.js';
import { expectSuccess } from './helpers/envelope.js';
import { appOver } from './helpers/harness.js';
import { runAdmin, tempDir, type CliResult } from './helpers/processes.js';
import { withDatabase } from './setup/global.js';

/**
 * `tsx server/admin.ts inquiries list [--since <ISO>] --json` as an operator runs it, against inquiries
 * posted through the API: a data dir in the embedded pass, a PostgreSQL database (a copy of the migrated
 * template) in the PostgreSQL pass. The usage errors run in the embedded pass only.
 */

const SLOW = 120_000;
const HOUR = 60 * 60 * 1000;
const ITEM_KEYS = ['company', 'createdAt', 'email', 'id', 'message', 'name', 'submissions', 'teamSize', 'updatedAt'];

interface Item {
  id: string;
  name: string;
  email: string;
  company: string;
  teamSize: string;
  message: string | null;
  submissions: number;
  createdAt: string;
  updatedAt: string;
}

/** Exit 0 and exactly one JSON object `{ items }` on stdout, each item with exactly the documented keys. */
function expectListed(run: CliResult): Item[] {
  expect(run.code, run.stderr).toBe(0);
  const lines = run.stdout.split('\n').filter((l) => l.trim() !== '');
  expect(lines, run.stdout).toHaveLength(1);
  const result = JSON.parse(lines[0]!) as { items: Item[] };
  expect(Object.keys(result)).toEqual(['items']);
  for (const item of result.items) expect(Object.keys(item).sort()).toEqual(ITEM_KEYS);
  return result.items;
}

const postgres = inject('postgres');
if (postgres) console.log('admin-cli.inquiries.test.ts: PostgreSQL run, so no usage-error cases; they run without DATABASE_URL');

describe('inquiries list', () => {
  const dir = postgres ? undefined : tempDir('admin-inquiries');
  const dbName = postgres ? `${postgres.prefix}_inquiries` : '';
  const env: Record<string, string> = postgres ? { DATABASE_URL: withDatabase(postgres.adminUrl, dbName) } : { DATA_DIR: dir!.path };
  const now = Date.now();
  const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR);

  /** Runs `fn` on the database while no CLI runs (the embedded data dir admits one process at a time). */
  async function withDb<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    const db = await openDatabase(loadConfig({ ...env, NODE_ENV: 'test' }), createLogger('silent'));
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  beforeAll(async () => {
    if (postgres) {
      const admin = new pg.Client({ connectionString: postgres.adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${dbName}" TEMPLATE "${postgres.template}"`);
      await admin.end();
    }
    // Three inquiries through the API (one posted twice, one caught by the honeypot), then their times set
    // so the order does not depend on how fast the posts ran.
    await withDb(async (db) => {
      const { http } = appOver(db);
      const post = async (body: Record<string, unknown>) =>
        expectSuccess(await http.post('/api/v1/enterprise-inquiry').send({ company: 'Acme', teamSize: '11-50', ...body }), 202);
      await post({ name: 'Old', email: 'old@acme.example', message: 'Hello' });
      await post({ name: 'Middle', email: 'middle@acme.example' });
      await post({ name: 'New', email: 'NEW@acme.example' });
      await post({ name: 'New again', email: 'new@acme.example' });
      await post({ name: 'Bot', email: 'bot@spam.example', website: 'https://spam.example' });
      for (const [email, hoursAgo] of [
        ['old@acme.example', 3],
        ['middle@acme.example', 2],
        ['new@acme.example', 1],
      ] as const) {
        await db.prisma.enterpriseInquiry.updateMany({
          where: { email },
          data: { createdAt: at(hoursAgo + 0.5), updatedAt: at(hoursAgo) },
        });
      }
    });
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
    'prints every inquiry, the most recently posted first, with no --org',
    async () => {
      const items = expectListed(await runAdmin(['inquiries', 'list', '--json'], env));
      expect(items.map((i) => i.email)).toEqual(['new@acme.example', 'middle@acme.example', 'old@acme.example']);
      expect(items[0]).toMatchObject({
        name: 'New again',
        company: 'Acme',
        teamSize: '11-50',
        message: null,
        submissions: 2,
        createdAt: at(1.5).toISOString(),
        updatedAt: at(1).toISOString(),
      });
      expect(items[2]).toMatchObject({ name: 'Old', message: 'Hello', submissions: 1 });
    },
    SLOW,
  );

  it(
    '--since keeps the inquiries posted at or after it, in any ISO 8601 spelling of the instant',
    async () => {
      const since = at(2);
      const utc = expectListed(await runAdmin(['inquiries', 'list', '--since', since.toISOString(), '--json'], env));
      expect(utc.map((i) => i.name)).toEqual(['New again', 'Middle']);
      // The same instant written with a +02:00 offset.
      const shifted = new Date(since.getTime() + 2 * HOUR).toISOString().replace('Z', '+02:00');
      const offset = expectListed(await runAdmin(['inquiries', 'list', '--json', `--since=${shifted}`], env));
      expect(offset).toEqual(utc);
      // A date is midnight UTC: one in the future lists nothing.
      expect(expectListed(await runAdmin(['inquiries', 'list', '--since', '2999-01-01', '--json'], env))).toEqual([]);
    },
    SLOW,
  );
});

describe.skipIf(postgres)('inquiries list usage errors', () => {
  // A data dir that must not come into existence: usage errors are caught before the database opens.
  const dir = tempDir('admin-inquiries-usage');
  const env = { DATA_DIR: join(dir.path, 'never') };
  afterAll(() => dir.remove());

  it.each([
    ['a word', 'yesterday'],
    ['an impossible date', '2026-02-30'],
    ['a date-time without a zone', '2026-12-01T09:00:00'],
    ['a number', '1764579600000'],
    ['an empty value', ''],
  ])(
    'exits 2 with a message on stderr and nothing on stdout for --since as %s',
    async (_label, since) => {
      const run = await runAdmin(['inquiries', 'list', '--since', since, '--json'], env);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/--since must be an ISO 8601 date/);
      expect(run.stderr).toMatch(/inquiries list \[--since/);
      expect(existsSync(env.DATA_DIR)).toBe(false);
    },
    SLOW,
  );

  it(
    'exits 2 for --since without a value',
    async () => {
      const run = await runAdmin(['inquiries', 'list', '--since'], env);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/--since/);
      expect(existsSync(env.DATA_DIR)).toBe(false);
    },
    SLOW,
  );
});
