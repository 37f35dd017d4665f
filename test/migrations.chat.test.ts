import { newPglite } from '../server/db/pglite.js';
import pg from 'pg';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import type { Message } from '../generated/sdk/types.gen.js';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { mintKey } from '../server/data/api-keys.js';
import { openEmbedded, openPostgres, type Database } from '../server/db/database.js';
import { migrate, readMigrations, type SqlConnection } from '../server/db/migrate.js';
import { createLogger } from '../server/logger.js';
import { expectSuccess } from './helpers/envelope.js';
import { TEST_ENV } from './helpers/harness.js';
import { emptyPostgres } from './helpers/postgres.js';

/**
 * The chat migration on a database that already holds phase-one rows: it applies, every old message comes
 * out as a complete, non-reply message with its role, and the org starts with an empty ledger. Then a
 * server opened on it (which applies the migration itself) answers those messages in the new shape.
 */
const CHAT_MIGRATION = '20261202000000_chat_and_credits';
const all = readMigrations();
const before = all.slice(
  0,
  all.findIndex((m) => m.name === CHAT_MIGRATION),
);

const ids = {
  org: '10000000-0000-4000-8000-000000000001',
  user: '10000000-0000-4000-8000-000000000002',
  workspace: '10000000-0000-4000-8000-000000000003',
  agent: '10000000-0000-4000-8000-000000000004',
  session: '10000000-0000-4000-8000-000000000005',
  userMessage: '10000000-0000-4000-8000-000000000006',
  agentMessage: '10000000-0000-4000-8000-000000000007',
};

/** Rows as the phase-one server wrote them: no status, model, usage or reply columns existed. */
const PHASE_ONE_ROWS = `
  INSERT INTO "Organization" (id, slug, name) VALUES ('${ids.org}', 'old-org', 'old-org');
  INSERT INTO "User" (id, email) VALUES ('${ids.user}', 'old@example.test');
  INSERT INTO "Workspace" (id, "orgId", slug, name) VALUES ('${ids.workspace}', '${ids.org}', 'default', 'default');
  INSERT INTO "WorkspaceAccess" ("workspaceId", "userId") VALUES ('${ids.workspace}', '${ids.user}');
  INSERT INTO "Membership" ("orgId", "userId", role, "currentWorkspaceId") VALUES ('${ids.org}', '${ids.user}', 'owner', '${ids.workspace}');
  INSERT INTO "Agent" (id, "orgId", "workspaceId", name, slug, avatar, model) VALUES ('${ids.agent}', '${ids.org}', '${ids.workspace}', 'Old', 'old', 'old', 'grok-3');
  INSERT INTO "Session" (id, "orgId", "workspaceId", "userId", title) VALUES ('${ids.session}', '${ids.org}', '${ids.workspace}', '${ids.user}', 'old');
  INSERT INTO "SessionParticipant" ("sessionId", "agentId") VALUES ('${ids.session}', '${ids.agent}');
  INSERT INTO "Message" (id, "orgId", "sessionId", "userId", content, "createdAt") VALUES ('${ids.userMessage}', '${ids.org}', '${ids.session}', '${ids.user}', 'question', '2026-11-20T10:00:00Z');
  INSERT INTO "Message" (id, "orgId", "sessionId", "agentId", content, "createdAt") VALUES ('${ids.agentMessage}', '${ids.org}', '${ids.session}', '${ids.agent}', 'answer', '2026-11-20T10:00:01Z');
`;

async function checkUpgrade(conn: SqlConnection, open: () => Promise<Database>) {
  expect(await migrate(conn, before)).toEqual(before.map((m) => m.name));
  await conn.exec(PHASE_ONE_ROWS);
  expect(await migrate(conn)).toEqual([CHAT_MIGRATION, ...all.slice(before.length + 1).map((m) => m.name)]);

  const { rows } = await conn.query<Record<string, unknown>>(
    `SELECT id, status, model, "inputTokens", "outputTokens", "creditMicro", "replyToId" FROM "Message" ORDER BY "createdAt"`,
  );
  expect(rows).toEqual([
    { id: ids.userMessage, status: 'complete', model: null, inputTokens: null, outputTokens: null, creditMicro: null, replyToId: null },
    { id: ids.agentMessage, status: 'complete', model: null, inputTokens: null, outputTokens: null, creditMicro: null, replyToId: null },
  ]);
  const org = await conn.query<{ balance: string | bigint }>(`SELECT "creditBalanceMicro"::text AS balance FROM "Organization"`);
  expect(org.rows).toEqual([{ balance: '0' }]);
  expect((await conn.query(`SELECT * FROM "CreditLedger"`)).rows).toEqual([]);

  // A server on the upgraded database answers the old messages in the new shape.
  const db = await open();
  try {
    const config = loadConfig(TEST_ENV);
    const app = buildApp({ config, db, logger: createLogger('silent') });
    const key = await mintKey(db.prisma, {
      orgId: ids.org,
      userId: ids.user,
      name: 'k',
      scopes: ['*'],
      env: config.keyEnv,
      expiresAt: null,
    });
    const res = await supertest(app).get(`/api/v1/sessions/${ids.session}/messages`).set('Authorization', `Bearer ${key.key}`);
    const { items } = expectSuccess<{ items: Message[] }>(res);
    expect(items.map((m) => [m.content, m.role, m.status, m.model, m.usage, m.replyTo])).toEqual([
      ['question', 'user', 'complete', null, null, null],
      ['answer', 'agent', 'complete', null, null, null],
    ]);
  } finally {
    await db.close();
  }
}

const options = { timeoutMs: 5_000, poolSize: 2, migrate: true };

describe(`${CHAT_MIGRATION} on a database with phase-one rows`, () => {
  it('embedded (PGlite): applies, and old messages are complete, non-reply messages with their role', async () => {
    const pglite = newPglite();
    await pglite.waitReady;
    try {
      await checkUpgrade(pglite, () => openEmbedded(pglite, options));
    } finally {
      if (!pglite.closed) await pglite.close();
    }
  });

  it('PostgreSQL: applies, and old messages are complete, non-reply messages with their role', async (ctx) => {
    const database = await emptyPostgres('chatmig');
    if (database.reason !== undefined) {
      console.warn(`skipped: ${database.reason}`);
      ctx.skip();
      return;
    }
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const conn: SqlConnection = { query: async (s, p) => ({ rows: (await client.query(s, p)).rows }), exec: (s) => client.query(s) };
      await checkUpgrade(conn, () => openPostgres(database.url, options));
    } finally {
      await client.end();
      await database.drop();
    }
  });
});
