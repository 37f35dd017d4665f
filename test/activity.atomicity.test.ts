import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, ChatResult, Session } from '../generated/sdk/types.gen.js';
import { CreditStore } from '../server/data/credits.js';
import { RELAXED, balanceOf, chatPath, upstreamEnv } from './helpers/chat.js';
import { expectSuccess, type HttpResult } from './helpers/envelope.js';
import { API, createAgent, createApiKey, createSession, postMessage } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

/**
 * The activity row and its change commit together or not at all, both ways round, with triggers added to
 * this file's private database only:
 * - the activity INSERT fails (a BEFORE trigger on "Activity" raises for a poisoned org): the change itself
 *   is refused with a 5xx and leaves nothing behind;
 * - the change fails after its activity row was written (a deferred constraint trigger on the changed table
 *   raises at commit): the activity row is gone with it.
 * The kill -9 run is test/activity.crash.test.ts.
 *
 * On the embedded database this also proves patches/pglite-prisma-adapter+0.7.2.patch: unpatched, the adapter
 * swallowed an error raised by COMMIT of an interactive transaction, so a change refused at commit was rolled
 * back but answered as a success.
 */

let h: Harness;
let up: Upstream;

// A poisoned (org, table) refuses that org's rows of that table; for "Activity" optionally only one kind.
const TRIGGERS = [
  `CREATE TABLE test_poison (org uuid NOT NULL, tbl text NOT NULL, kind text)`,
  `CREATE FUNCTION test_poison_row() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF EXISTS (SELECT 1 FROM test_poison WHERE org = NEW."orgId" AND tbl = TG_TABLE_NAME) THEN
       RAISE EXCEPTION 'test: % refused for org %', TG_TABLE_NAME, NEW."orgId";
     END IF;
     RETURN NEW;
   END $$`,
  `CREATE FUNCTION test_poison_activity() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF EXISTS (SELECT 1 FROM test_poison WHERE org = NEW."orgId" AND tbl = 'Activity' AND (kind IS NULL OR kind = NEW.kind)) THEN
       RAISE EXCEPTION 'test: activity % refused for org %', NEW.kind, NEW."orgId";
     END IF;
     RETURN NEW;
   END $$`,
  `CREATE TRIGGER test_poison_activity BEFORE INSERT ON "Activity" FOR EACH ROW EXECUTE FUNCTION test_poison_activity()`,
  ...['Session', 'Message', 'ApiKey', 'CreditLedger'].map(
    (table) =>
      `CREATE CONSTRAINT TRIGGER test_poison_${table} AFTER INSERT OR UPDATE ON "${table}" DEFERRABLE INITIALLY DEFERRED
       FOR EACH ROW EXECUTE FUNCTION test_poison_row()`,
  ),
];

beforeAll(async () => {
  up = await startUpstream();
  h = await startHarness(upstreamEnv(up, RELAXED));
  for (const statement of TRIGGERS) await h.db.prisma.$executeRawUnsafe(statement);
});
afterEach(() => up.reset());
afterAll(async () => {
  await h?.close();
  await up?.close();
});

const poison = (t: Tenant, tbl: string, kind: string | null = null) =>
  h.db.prisma.$executeRawUnsafe(`INSERT INTO test_poison (org, tbl, kind) VALUES ($1::uuid, $2, $3)`, t.orgId, tbl, kind);
const cure = (t: Tenant) => h.db.prisma.$executeRawUnsafe(`DELETE FROM test_poison WHERE org = $1::uuid`, t.orgId);

/** The org's rows that a failed change must not have touched. */
async function state(t: Tenant) {
  const p = h.db.prisma;
  const where = { orgId: t.orgId };
  return {
    sessions: await p.session.findMany({ where, orderBy: { id: 'asc' } }),
    messages: await p.message.count({ where }),
    keys: await p.apiKey.findMany({ where, orderBy: { id: 'asc' } }),
    ledger: await p.creditLedger.count({ where }),
    balance: await balanceOf(h, t.orgId),
    activity: await p.activity.count({ where }),
  };
}

const failed = (res: HttpResult) => expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(500);

/** A tenant with one agent and one session, its activity rows written, then poisoned on `tbl`. */
async function poisoned(tbl: string, kind: string | null = null) {
  const t = await h.tenant();
  const agent: Agent = await createAgent(h, t, { name: 'Helper' });
  const s: Session = await createSession(h, t, { title: 'Before', agentIds: [agent.id] });
  const key = await createApiKey(h, t, { name: 'spare' });
  await poison(t, tbl, kind);
  return { t, agent, s, key, before: await state(t) };
}

const changes: Array<[string, (t: Tenant, ctx: { s: Session; key: { id: string } }) => PromiseLike<HttpResult>]> = [
  [
    'create a session',
    (t) =>
      h.http
        .post(`${API}/sessions`)
        .set(t.auth)
        .send({ agentIds: ['ala'] }),
  ],
  ['update a session', (t, { s }) => h.http.patch(`${API}/sessions/${s.id}`).set(t.auth).send({ title: 'After' })],
  ['delete a session', (t, { s }) => h.http.delete(`${API}/sessions/${s.id}`).set(t.auth)],
  ['post a message', (t, { s }) => h.http.post(`${API}/sessions/${s.id}/messages`).set(t.auth).send({ content: 'hello' })],
  ['chat without streaming', (t, { s }) => h.http.post(chatPath(s.id)).set(t.auth).send({ content: 'hi', stream: false })],
  ['chat with streaming', (t, { s }) => h.http.post(chatPath(s.id)).set(t.auth).set('Accept', 'text/event-stream').send({ content: 'hi' })],
  ['mint an API key', (t) => h.http.post(`${API}/api-keys`).set(t.auth).send({ name: 'new' })],
  ['revoke an API key', (t, { key }) => h.http.delete(`${API}/api-keys/${key.id}`).set(t.auth)],
];

describe('an activity row that cannot be written refuses its change', () => {
  it.each(changes)('%s: 5xx, and nothing of the change is stored', async (_name, send) => {
    const { t, s, key, before } = await poisoned('Activity');
    failed(await send(t, { s, key }));
    expect(await state(t)).toEqual(before);
    // The same change goes through once the activity row can be written, with its row.
    await cure(t);
    const res = await send(t, { s, key });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    expect((await state(t)).activity).toBeGreaterThan(before.activity);
  });

  it('a credit grant (admin command) fails and grants nothing', async () => {
    const { t, before } = await poisoned('Activity');
    await expect(new CreditStore(h.db.prisma).grant(t.orgSlug, 1_000_000n, 'test')).rejects.toThrow();
    expect(await state(t)).toEqual(before);
  });

  it('a streamed reply whose chat.replied row fails is not stored, its debit neither; the message and its row are', async () => {
    const { t, s, before } = await poisoned('Activity', 'chat.replied');
    up.enqueue({ kind: 'reply', chunks: ['never', ' kept'], usage: { prompt_tokens: 100, completion_tokens: 100 } });
    const res = await h.http.post(chatPath(s.id)).set(t.auth).set('Accept', 'text/event-stream').send({ content: 'stream' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('event: error');
    const after = await state(t);
    expect(after).toMatchObject({
      messages: before.messages + 1,
      ledger: before.ledger,
      balance: before.balance,
      activity: before.activity + 1,
    });
    const rows = await h.db.prisma.activity.findMany({ where: { orgId: t.orgId, kind: { in: ['message.posted', 'chat.replied'] } } });
    expect(rows.map((r) => r.kind)).toEqual(['message.posted']);
  });
});

describe('a change that fails after its activity row was written leaves no row', () => {
  const cases: Array<[string, string, number]> = [
    ['create a session', 'Session', 0],
    ['update a session', 'Session', 1],
    ['delete a session', 'Session', 2],
    ['post a message', 'Message', 3],
    ['chat without streaming', 'Message', 4],
    ['chat with streaming', 'Message', 5],
    ['mint an API key', 'ApiKey', 6],
    ['revoke an API key', 'ApiKey', 7],
  ];
  it.each(cases)('%s: refused at commit by "%s", answered 5xx, and the activity row is rolled back with it', async (_name, table, i) => {
    const { t, s, key, before } = await poisoned(table);
    const res = await changes[i]![1](t, { s, key });
    failed(res);
    expect(await state(t)).toEqual(before);
  });

  it('a credit grant refused at commit leaves neither the grant nor its row', async () => {
    const { t, before } = await poisoned('CreditLedger');
    const grant = new CreditStore(h.db.prisma).grant(t.orgSlug, 1_000_000n, 'test');
    await expect(grant).rejects.toThrow();
    expect(await state(t)).toEqual(before);
  });

  it('an acknowledged change has its row (control: the triggers let other orgs through)', async () => {
    const t = await h.tenant();
    const s = await createSession(h, t, { agentIds: ['ala'] });
    const m = await postMessage(h, t, s.id, { content: 'ok' });
    const chat = expectSuccess<ChatResult>(await h.http.post(chatPath(s.id)).set(t.auth).send({ content: 'hi', stream: false }), 201);
    const subjects = [s.id, m.id, chat.message.id, chat.reply.id];
    expect(await h.db.prisma.activity.count({ where: { subjectId: { in: subjects } } })).toBe(4);
  });
});
