import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../server/config.js';
import { loadConfig } from '../server/config.js';
import { secretBoxFor } from '../server/data/secret-box.js';
import { createLogger } from '../server/logger.js';
import { startWebhookEngine, type WebhookEngine } from '../server/webhooks/engine.js';
import { expectSuccess } from './helpers/envelope.js';
import { API, createAgent } from './helpers/fixtures.js';
import { TEST_ENV, startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js';

// Retries come within milliseconds (the schedule times 0.001), an attempt gives up after 1 s (not 15).
const ENV: Partial<Env> = { WEBHOOK_ALLOW_PRIVATE: '1', RETRY_SCHEDULE_SCALE: '0.001' };
// The engine's own 15 s limit of an attempt: only the retry schedule is scaled down for tests.
const ATTEMPT_TIMEOUT_MS = 15_000;

let h: Harness;
let engine: WebhookEngine;
const engineLogs: string[] = [];

async function startEngine(env: Partial<Env>) {
  const config = loadConfig({ ...TEST_ENV, ...env });
  const sink = new Writable({
    write: (c, _e, done) => {
      engineLogs.push(String(c));
      if (process.env.WEBHOOK_TEST_LOGS) process.stderr.write(String(c));
      done();
    },
  });
  engine = await startWebhookEngine({
    db: h.db,
    config,
    logger: createLogger('info', sink),
    machineId: null,
    secretBox: secretBoxFor(config.secretsKey),
    url: h.url,
  });
}

beforeAll(async () => {
  h = await startHarness(ENV);
  await startEngine(ENV);
});
afterAll(async () => {
  await engine?.stop();
  await h?.close();
});

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

// Endpoints are written directly: creating one through the API takes a stepped-up dashboard session, and
// the management routes have their own tests. The secret is sealed exactly as the API seals it.
async function endpoint(t: Tenant, url: string, events = ['agent.created']): Promise<{ id: string; secret: string }> {
  const secret = newSecret();
  const row = await h.db.prisma.webhookEndpoint.create({
    data: {
      orgId: t.orgId,
      url,
      events,
      description: 'test hook',
      secret: secretBoxFor(h.config.secretsKey).seal(secret),
      createdByUserId: t.userId,
    },
  });
  return { id: row.id, secret };
}

const deliveriesOf = (endpointId: string) =>
  h.db.prisma.webhookDelivery.findMany({
    where: { endpointId },
    include: { attempts: { orderBy: { attemptedAt: 'asc' } } },
    orderBy: { createdAt: 'asc' },
  });

/** A tenant, a receiver with the endpoint's secret, the endpoint, and one agent.created on its way. */
async function oneDelivery(setup?: (r: Receiver) => void) {
  const t = await h.tenant();
  // The org's first call creates its agent Ala (agent.created): made before the endpoint exists, not delivered.
  expectSuccess(await h.http.get(`${API}/me`).set(t.auth), 200);
  const placeholder = await startReceiver([]);
  const ep = await endpoint(t, placeholder.url);
  await placeholder.close();
  // The real receiver listens on the same port now that the secret is known.
  const receiver = await startReceiver([ep.secret], { port: placeholder.port });
  setup?.(receiver);
  const agent = await createAgent(h, t, { name: `Hooked ${Math.random().toString(36).slice(2, 8)}` });
  return { t, ep, receiver, agent };
}

describe('webhook delivery', () => {
  it('arrives signed (verified by standardwebhooks), with the Standard Webhooks headers and the feed row as data', async () => {
    const { t, ep, receiver, agent } = await oneDelivery();
    try {
      const [got] = await receiver.waitFor((r) => r.length >= 1);
      const [delivery] = await until(
        () => deliveriesOf(ep.id),
        (d) => d[0]?.status === 'succeeded',
      );
      expect(got!.verifiedBy).toEqual([0]);
      expect(got!.id).toBe(delivery!.id);
      expect(got!.headers['content-type']).toBe('application/json');
      expect(got!.headers['user-agent']).toMatch(/Alumia/);
      expect(Math.abs(Number(got!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(got!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
      const row = expectSuccess(await h.http.get(`${API}/activity/${delivery!.activityId}`).set(t.auth), 200);
      expect(got!.json).toEqual({ type: 'agent.created', timestamp: row.createdAt, data: row });
      expect(row.subject.id).toBe(agent.id);
      // A tampered body does not verify: the signature covers it.
      expect(() => new Webhook(ep.secret).verify(got!.body.replace('agent', 'Agent'), got!.headers as Record<string, string>)).toThrow();
      expect(delivery!.attemptCount).toBe(1);
      expect(delivery!.attempts).toMatchObject([{ statusCode: 200, error: null, responseBody: 'ok' }]);
    } finally {
      await receiver.close();
    }
  });

  it('retries failures on the schedule with the same webhook-id, logging each attempt and its answer', async () => {
    const { ep, receiver } = await oneDelivery((r) => r.answerNext(2, { kind: 'status', status: 500, body: 'x'.repeat(3000) }));
    try {
      const got = await receiver.waitFor((r) => r.length >= 3);
      const [delivery] = await until(
        () => deliveriesOf(ep.id),
        (d) => d[0]?.status === 'succeeded',
      );
      expect(new Set(got.map((g) => g.id))).toEqual(new Set([delivery!.id]));
      expect(got.every((g) => g.verifiedBy.length === 1)).toBe(true);
      expect(delivery!.attemptCount).toBe(3);
      expect(delivery!.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);
      // The log keeps the first 1 KB of an answer.
      expect(delivery!.attempts[0]!.responseBody).toBe('x'.repeat(1024));
      const endpointRow = await h.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } });
      expect(endpointRow.failingSince).toBeNull();
    } finally {
      await receiver.close();
    }
  });

  it('410 disables the endpoint at once (reason gone), fails the delivery and writes one webhook.disabled row by the system', async () => {
    const { t, ep, receiver } = await oneDelivery((r) => r.answer({ kind: 'status', status: 410 }));
    try {
      const [delivery] = await until(
        () => deliveriesOf(ep.id),
        (d) => d[0]?.status === 'failed',
      );
      expect(delivery!.attemptCount).toBe(1);
      const row = await h.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } });
      expect(row).toMatchObject({ enabled: false, disabledReason: 'gone' });
      const activity = await h.db.prisma.activity.findMany({ where: { orgId: t.orgId, kind: 'webhook.disabled' } });
      expect(activity).toHaveLength(1);
      expect(activity[0]).toMatchObject({ actorType: 'system', subjectId: ep.id, subjectType: 'webhook' });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('429 with Retry-After: the next attempt comes no sooner than asked', async () => {
    const { ep, receiver } = await oneDelivery((r) => r.answerNext(1, { kind: 'status', status: 429, headers: { 'retry-after': '2' } }));
    try {
      const got = await receiver.waitFor((r) => r.length >= 2);
      expect(got[1]!.at - got[0]!.answeredAt!).toBeGreaterThanOrEqual(2_000);
      const [delivery] = await until(
        () => deliveriesOf(ep.id),
        (d) => d[0]?.status === 'succeeded',
      );
      expect(delivery!.attempts.map((a) => a.statusCode)).toEqual([429, 200]);
      expect(delivery!.attempts[1]!.attemptedAt.getTime() - delivery!.attempts[0]!.attemptedAt.getTime()).toBeGreaterThanOrEqual(2_000);
    } finally {
      await receiver.close();
    }
  });

  it('an endpoint that never answers is recorded as a timeout, then retried', async () => {
    const { ep, receiver } = await oneDelivery((r) => r.answerNext(1, { kind: 'hang' }));
    try {
      const [delivery] = await until(
        () => deliveriesOf(ep.id),
        (d) => d[0]?.status === 'succeeded',
        ATTEMPT_TIMEOUT_MS + 20_000,
      );
      expect(delivery!.attempts.map((a) => [a.statusCode, a.error])).toEqual([
        [null, 'timeout'],
        [200, null],
      ]);
      expect(delivery!.attempts[0]!.latencyMs).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS - 5);
    } finally {
      await receiver.close();
    }
  });

  it('a reset connection is recorded as such, and a closed port as connection refused', async () => {
    const { ep, receiver } = await oneDelivery((r) => r.answerNext(1, { kind: 'reset' }));
    try {
      const [delivery] = await until(
        () => deliveriesOf(ep.id),
        (d) => d[0]?.status === 'succeeded',
      );
      expect(delivery!.attempts.map((a) => a.error)).toEqual(['connection reset', null]);
    } finally {
      await receiver.close();
    }
    const t = await h.tenant();
    const closed = await startReceiver([]);
    await closed.close();
    const ep2 = await endpoint(t, closed.url);
    await createAgent(h, t, { name: 'Nobody listens' });
    const [d2] = await until(
      () => deliveriesOf(ep2.id),
      (d) => (d[0]?.attempts.length ?? 0) >= 1,
    );
    expect(d2!.attempts[0]).toMatchObject({ statusCode: null, error: 'connection refused' });
    await h.db.prisma.webhookEndpoint.update({ where: { id: ep2.id }, data: { enabled: false } });
  });

  it('during a rotation window every delivery carries both signatures, each verifying with its own secret', async () => {
    const t = await h.tenant();
    const placeholder = await startReceiver([]);
    const ep = await endpoint(t, placeholder.url);
    await placeholder.close();
    // A rotation as the API writes it: the new secret signs, the old one too until previousSecretExpiresAt.
    const box = secretBoxFor(h.config.secretsKey);
    const rotated = { secret: newSecret() };
    await h.db.prisma.webhookEndpoint.update({
      where: { id: ep.id },
      data: {
        secret: box.seal(rotated.secret),
        previousSecret: box.seal(ep.secret),
        previousSecretExpiresAt: new Date(Date.now() + 3600_000),
      },
    });
    const receiver = await startReceiver([rotated.secret, ep.secret], { port: placeholder.port });
    try {
      await createAgent(h, t, { name: 'Rotated' });
      const [got] = await receiver.waitFor((r) => r.length >= 1);
      const signatures = String(got!.headers['webhook-signature']).split(' ');
      expect(signatures).toHaveLength(2);
      expect(got!.verifiedBy).toEqual([0, 1]);
      // Each signature alone, against each secret: the first is the new secret's, the second the old one's.
      const alone = (sig: string, secret: string) => {
        try {
          new Webhook(secret).verify(got!.body, { ...(got!.headers as Record<string, string>), 'webhook-signature': sig });
          return true;
        } catch {
          return false;
        }
      };
      expect(signatures.map((s) => [alone(s, rotated.secret), alone(s, ep.secret)])).toEqual([
        [true, false],
        [false, true],
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('an endpoint failing for 5 days is disabled (reason failing); a success ends a failure streak', async () => {
    const { t, ep, receiver } = await oneDelivery((r) => r.answerNext(1, { kind: 'status', status: 500 }));
    try {
      // The streak starts with the first failure and ends with the success that follows.
      await until(
        () => deliveriesOf(ep.id),
        (d) => d[0]?.status === 'succeeded',
      );
      expect((await h.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } })).failingSince).toBeNull();
      await h.db.prisma.webhookEndpoint.update({
        where: { id: ep.id },
        data: { failingSince: new Date(Date.now() - 5 * 24 * 3600_000 - 1000) },
      });
      receiver.answer({ kind: 'status', status: 500 });
      await createAgent(h, t, { name: 'Still failing' });
      const deliveries = await until(
        () => deliveriesOf(ep.id),
        (d) => d[1]?.status === 'failed',
      );
      expect(deliveries[1]!.attemptCount).toBe(1);
      const row = await h.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } });
      expect(row).toMatchObject({ enabled: false, disabledReason: 'failing' });
      expect(await h.db.prisma.activity.count({ where: { orgId: t.orgId, kind: 'webhook.disabled' } })).toBe(1);
    } finally {
      await receiver.close();
    }
  });

  it('a delivery whose job was lost (still pending an hour after it was due) is queued again and delivered', async () => {
    const { t, ep, receiver } = await oneDelivery();
    try {
      await receiver.waitFor((r) => r.length >= 1);
      const [first] = await deliveriesOf(ep.id);
      // Queued two hours ago, due then, never attempted: the queue gave up on its job.
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      const lost = await h.db.prisma.webhookDelivery.create({
        data: {
          orgId: t.orgId,
          endpointId: ep.id,
          activityId: first!.activityId,
          eventType: first!.eventType,
          queuedAt: twoHoursAgo,
          nextAttemptAt: twoHoursAgo,
        },
      });
      engine.wake();
      const got = await receiver.waitFor((r) => r.some((x) => x.id === lost.id));
      expect(got.filter((x) => x.id === lost.id)).toHaveLength(1);
      const [again] = await until(
        () => h.db.prisma.webhookDelivery.findMany({ where: { id: lost.id } }),
        (d) => d[0]?.status === 'succeeded',
      );
      expect(again!.attemptCount).toBe(1);
    } finally {
      await receiver.close();
    }
  });

  it('a target refused at delivery time (private addresses not allowed) is recorded as refused address, never connected to', async () => {
    const { ep, receiver } = await oneDelivery(() => undefined);
    try {
      // The first delivery went out under the permissive engine: make the next one meet a strict engine.
      await receiver.waitFor((r) => r.length >= 1);
      await engine.stop();
      await startEngine({ ...ENV, WEBHOOK_ALLOW_PRIVATE: '' });
      const t2 = await h.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } });
      await h.db.prisma.webhookDelivery.updateMany({
        where: { endpointId: t2.id },
        data: { status: 'pending', queuedAt: null, nextAttemptAt: new Date() },
      });
      engine.wake();
      const [delivery] = await until(
        () => deliveriesOf(ep.id),
        (d) => (d[0]?.attempts.length ?? 0) >= 2,
      );
      expect(delivery!.attempts[1]).toMatchObject({ statusCode: null, error: 'refused address', latencyMs: 0 });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
      await engine.stop();
      await startEngine(ENV);
    }
  });
});
