import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../server/data/secret-box.js';
import { postgresCasesSkipped } from './helpers/faults.js';
import { freshPostgres } from './helpers/postgres.js';
import { startServer, tempDir, type ServerProcess } from './helpers/processes.js';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js';

/**
 * kill -9 a real server process with deliveries acknowledged but not delivered (the receiver is down):
 * after a restart each arrives, with the webhook-id it had, and each attempt is recorded once. On
 * PostgreSQL the test reads the tables while the server runs; on the embedded database (which only the
 * server may open) it sets the owner's password from the first start's link, creates the endpoint as the
 * dashboard does, and reads the delivery log through the API.
 */

const pgReason = await postgresCasesSkipped('webhooks.crash.test.ts');
const KEY_IN_OUTPUT = /alm_test_[0-9a-f]{48}/;
const SECRETS_KEY = Buffer.alloc(32, 9).toString('base64');
const SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;

let url: string;
let drop: (() => Promise<void>) | undefined;
let client: pg.Client;
let receiver: Receiver | undefined;
const servers: ServerProcess[] = [];

const env = () => ({ DATABASE_URL: url, SECRETS_KEY, WEBHOOK_ALLOW_PRIVATE: '1', RETRY_SCHEDULE_SCALE: '1' });

beforeAll(async () => {
  if (pgReason) return;
  const fresh = await freshPostgres('webhooks_crash');
  if (fresh.reason !== undefined) throw new Error(fresh.reason);
  ({ url, drop } = fresh);
  client = new pg.Client({ connectionString: url });
  await client.connect();
});
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  await receiver?.close();
  await client?.end();
  await drop?.();
});

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const deliveries = async () =>
  (
    await client.query<{
      id: string;
      status: string;
      attemptCount: number;
      attempts: Array<{ statusCode: number | null; error: string | null }>;
    }>(
      `SELECT d.id, d.status, d."attemptCount",
         COALESCE((SELECT json_agg(json_build_object('statusCode', a."statusCode", 'error', a.error) ORDER BY a."attemptedAt") FROM "WebhookAttempt" a WHERE a."deliveryId" = d.id), '[]') AS attempts
       FROM "WebhookDelivery" d ORDER BY d."createdAt"`,
    )
  ).rows;

describe.skipIf(pgReason)('webhook delivery across kill -9', () => {
  it(
    'a delivery acknowledged before the kill arrives after the restart, same webhook-id, each attempt once',
    { timeout: 180_000 },
    async () => {
      // A port with nobody on it yet: the receiver opens there after the crash.
      const probe = await startReceiver([]);
      const port = probe.port;
      await probe.close();
      const first = await startServer(env());
      servers.push(first);
      const key = first.stdout().match(KEY_IN_OUTPUT)![0];
      const auth = { Authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const api = (s: ServerProcess, path: string, init: RequestInit = {}) => fetch(s.url(`/api/v1${path}`), { ...init, headers: auth });
      expect((await api(first, '/me')).status).toBe(200); // the org's agent Ala exists before the endpoint
      const { rows } = await client.query<{ orgId: string; userId: string }>(`SELECT "orgId", "userId" FROM "Membership" LIMIT 1`);
      await client.query(
        `INSERT INTO "WebhookEndpoint" ("orgId", url, events, secret, "createdByUserId") VALUES ($1, $2, ARRAY['agent.created'], $3, $4)`,
        [rows[0]!.orgId, `http://127.0.0.1:${port}/hook`, new SecretBox(Buffer.from(SECRETS_KEY, 'base64')).seal(SECRET), rows[0]!.userId],
      );
      // One delivery tried once (refused) and waiting for its retry, one acknowledged just before the kill.
      expect((await api(first, '/agents', { method: 'POST', body: JSON.stringify({ name: 'Before the crash' }) })).status).toBe(201);
      await until(deliveries, (d) => d[0]?.attempts.length === 1);
      expect((await api(first, '/agents', { method: 'POST', body: JSON.stringify({ name: 'At the crash' }) })).status).toBe(201);
      process.kill(first.child.pid!, 'SIGKILL');
      await first.exited;
      const before = await deliveries();
      expect(before).toHaveLength(2);
      expect(before.every((d) => d.status === 'pending')).toBe(true);

      receiver = await startReceiver([SECRET], { port });
      const second = await startServer(env());
      servers.push(second);
      const got = await receiver.waitFor((r) => new Set(r.map((x) => x.id)).size >= 2, 60_000);
      const after = await until(deliveries, (d) => d.every((x) => x.status === 'succeeded'));
      expect(new Set(got.map((g) => g.id))).toEqual(new Set(before.map((d) => d.id)));
      // Each webhook-id received once, verified; each attempt recorded once (the log matches the count).
      expect(got.map((g) => g.id).sort()).toEqual(before.map((d) => d.id).sort());
      expect(got.every((g) => g.verifiedBy.length === 1)).toBe(true);
      for (const d of after) {
        expect(d.attempts).toHaveLength(d.attemptCount);
        expect(d.attempts.at(-1)).toEqual({ statusCode: 200, error: null });
        expect(d.attempts.slice(0, -1).every((a) => a.error === 'connection refused')).toBe(true);
      }
      expect(after[0]!.attempts[0]).toEqual({ statusCode: null, error: 'connection refused' });
      await second.stop();
    },
  );
});

const PASSWORD = 'copper meadow lantern 2052';
const LINK = /\/dashboard\/set-password#token=([A-Za-z0-9_-]{43})/;

describe.skipIf(process.env.DATABASE_URL)('webhook delivery across kill -9, embedded database', () => {
  it(
    'a delivery acknowledged before the kill arrives after the restart, same webhook-id, each attempt once',
    { timeout: 180_000 },
    async () => {
      const dir = tempDir('webhooks-crash');
      const probe = await startReceiver([]);
      const port = probe.port;
      await probe.close();
      const env = { DATA_DIR: dir.path, SECRETS_KEY, WEBHOOK_ALLOW_PRIVATE: '1', RETRY_SCHEDULE_SCALE: '1' };
      let hooked: Receiver | undefined;
      try {
        const first = await startServer(env);
        servers.push(first);
        await first.waitForOutput((out) => LINK.test(out), 30_000);
        const key = first.stdout().match(KEY_IN_OUTPUT)![0];
        const call = async (s: ServerProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
          const res = await fetch(s.url(`/api/v1${path}`), {
            method,
            // An empty value drops the header: the dashboard's calls carry the cookie, not the key.
            headers: Object.fromEntries(
              Object.entries({ Authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }).filter(
                ([, v]) => v !== '',
              ),
            ),
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          return { status: res.status, headers: res.headers, body: (await res.json()) as { data: any } };
        };
        expect((await call(first, 'GET', '/me')).status).toBe(200); // the org's agent Ala exists before the endpoint
        // The owner signs in as the dashboard does (sign-in opens the step-up window) and creates the endpoint.
        const token = LINK.exec(first.stdout())![1]!;
        expect((await call(first, 'POST', '/auth/password/set', { token, password: PASSWORD }, { Authorization: '' })).status).toBe(200);
        const login = await call(
          first,
          'POST',
          '/auth/login',
          { email: 'owner@localhost', password: PASSWORD },
          {
            Authorization: '',
            'Sec-Fetch-Site': 'same-origin',
          },
        );
        expect(login.status).toBe(200);
        const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
        const made = await call(
          first,
          'POST',
          '/webhooks',
          { url: `http://127.0.0.1:${port}/hook`, events: ['agent.created'] },
          { Authorization: '', Cookie: cookie, 'Sec-Fetch-Site': 'same-origin' },
        );
        expect(made.status).toBe(201);
        const { id: webhookId, secret } = made.body.data as { id: string; secret: string };
        const log = async (s: ServerProcess) =>
          (
            (await call(s, 'GET', `/webhooks/${webhookId}/deliveries`)).body.data.items as Array<{
              id: string;
              status: string;
              attemptCount: number;
              attempts: Array<{ statusCode: number | null; error: string | null }>;
            }>
          ).reverse();

        // One delivery tried once (refused) and waiting for its retry, one acknowledged just before the kill.
        expect((await call(first, 'POST', '/agents', { name: 'Before the crash' })).status).toBe(201);
        await until(
          () => log(first),
          (d) => d[0]?.attempts.length === 1,
        );
        expect((await call(first, 'POST', '/agents', { name: 'At the crash' })).status).toBe(201);
        const before = await log(first);
        process.kill(first.child.pid!, 'SIGKILL');
        await first.exited;
        expect(before).toHaveLength(2);
        expect(before.every((d) => d.status === 'pending')).toBe(true);

        hooked = await startReceiver([secret], { port });
        const second = await startServer(env);
        servers.push(second);
        const got = await hooked.waitFor((r) => new Set(r.map((x) => x.id)).size >= 2, 60_000);
        const after = await until(
          () => log(second),
          (d) => d.length === 2 && d.every((x) => x.status === 'succeeded'),
        );
        // Each webhook-id received once, verified; each attempt recorded once (the log matches the count).
        expect(got.map((g) => g.id).sort()).toEqual(before.map((d) => d.id).sort());
        expect(got.every((g) => g.verifiedBy.length === 1)).toBe(true);
        for (const d of after) {
          expect(d.attempts).toHaveLength(d.attemptCount);
          expect(d.attempts.at(-1)).toMatchObject({ statusCode: 200, error: null });
          expect(d.attempts.slice(0, -1).every((a) => a.error === 'connection refused')).toBe(true);
        }
        await second.stop();
      } finally {
        await hooked?.close();
        // SIGTERM, relayed by tsx to the server: a SIGKILL would stop tsx alone and orphan the server.
        for (const s of servers.splice(0)) await s.stop();
        dir.remove();
      }
    },
  );
});
