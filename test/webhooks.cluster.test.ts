import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../server/data/secret-box.js';
import { postgresCasesSkipped } from './helpers/faults.js';
import { freshPostgres } from './helpers/postgres.js';
import { startServer, type ServerProcess } from './helpers/processes.js';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js';

/**
 * Two server processes on one PostgreSQL, both relaying and delivering: every delivery arrives, and no
 * webhook-id is ever in flight twice at once (the relay's SKIP LOCKED and the queue's hand one delivery to
 * one worker).
 */

const pgReason = await postgresCasesSkipped('webhooks.cluster.test.ts');
const KEY_IN_OUTPUT = /alm_test_[0-9a-f]{48}/;
const SECRETS_KEY = Buffer.alloc(32, 5).toString('base64');
const SECRET = `whsec_${Buffer.alloc(32, 4).toString('base64')}`;
const N = 80;

let url: string;
let drop: (() => Promise<void>) | undefined;
let client: pg.Client;
let receiver: Receiver | undefined;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  if (pgReason) return;
  const fresh = await freshPostgres('webhooks_cluster');
  if (fresh.reason !== undefined) throw new Error(fresh.reason);
  ({ url, drop } = fresh);
  client = new pg.Client({ connectionString: url });
  await client.connect();
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  await receiver?.close();
  await client?.end();
  await drop?.();
});

describe.skipIf(pgReason)('webhook delivery with two servers on one database', () => {
  it(`${N} deliveries: each arrives, none twice at the same time, none lost`, { timeout: 180_000 }, async () => {
    const env = { DATABASE_URL: url, SECRETS_KEY, WEBHOOK_ALLOW_PRIVATE: '1', RETRY_SCHEDULE_SCALE: '0.001' };
    const first = await startServer(env);
    servers.push(first);
    const second = await startServer(env);
    servers.push(second);
    const key = first.stdout().match(KEY_IN_OUTPUT)![0];
    const headers = { Authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    // Answers take a while, so an id handed to two workers would show as an overlap; some fail first, so retries are in the mix.
    receiver = await startReceiver([SECRET], { delayMs: 25 });
    receiver.answerNext(10, { kind: 'status', status: 503 });
    const { rows } = await client.query<{ orgId: string; userId: string }>(`SELECT "orgId", "userId" FROM "Membership" LIMIT 1`);
    await client.query(
      `INSERT INTO "WebhookEndpoint" ("orgId", url, events, secret, "createdByUserId") VALUES ($1, $2, ARRAY['project.created'], $3, $4)`,
      [rows[0]!.orgId, receiver.url, new SecretBox(Buffer.from(SECRETS_KEY, 'base64')).seal(SECRET), rows[0]!.userId],
    );
    // Half the changes through each server, eight at a time.
    const created: string[] = [];
    for (let i = 0; i < N; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, N - i) }, async (_, j) => {
          const s = (i + j) % 2 === 0 ? first : second;
          const res = await fetch(s.url('/api/v1/projects'), { method: 'POST', headers, body: JSON.stringify({ name: `p${i + j}` }) });
          expect(res.status).toBe(201);
          created.push(((await res.json()) as { data: { id: string } }).data.id);
        }),
      );
    }
    const succeeded = (r: Receiver['received']) => new Set(r.filter((x) => x.answeredAt !== undefined).map((x) => x.id)).size;
    await receiver.waitFor((r) => succeeded(r) >= N && r.length >= N + 10, 120_000);
    const deliveries = (await client.query<{ id: string }>(`SELECT id FROM "WebhookDelivery"`)).rows;
    expect(deliveries).toHaveLength(N);
    expect(new Set(receiver.received.map((r) => r.id))).toEqual(new Set(deliveries.map((d) => d.id)));
    expect(receiver.overlaps).toEqual([]);
    expect(receiver.received.every((r) => r.verifiedBy.length === 1)).toBe(true);
    // Every request the receiver saw is recorded as one attempt (the last records commit just after their answers).
    const count = async () => (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "WebhookAttempt"`)).rows[0]!.n;
    const end = Date.now() + 10_000;
    while ((await count()) < receiver.received.length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(await count()).toBe(receiver.received.length);
    const statuses = (await client.query<{ status: string }>(`SELECT status FROM "WebhookDelivery"`)).rows;
    expect(statuses.every((d) => d.status === 'succeeded')).toBe(true);
    expect(created).toHaveLength(N);
  });
});
