import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

/** Tells every server that a key was revoked, so each can drop it from its key cache. */
export interface RevocationBus {
  publish(keyId: string): Promise<void>;
  subscribe(listener: (keyId: string) => void): void;
  close(): Promise<void>;
}

const CHANNEL = 'alumia:key-revoked';

/** One process: revocations only need to reach this process's own cache. */
export function localRevocations(): RevocationBus {
  const events = new EventEmitter();
  return {
    publish(keyId) {
      events.emit('revoked', keyId);
      return Promise.resolve();
    },
    subscribe(listener) {
      events.on('revoked', listener);
    },
    close() {
      events.removeAllListeners();
      return Promise.resolve();
    },
  };
}

/**
 * Several servers: revocations fan out over Redis pub/sub. A subscriber needs its own connection. If Redis
 * is unreachable the publish fails quietly and the other servers fall back on their cache TTL (1 s).
 * Publish does not wait for the others to evict: Redis has queued the message to every subscriber before
 * it answers, ahead of any request the revoke's answer can prompt. Acknowledgements would not close the
 * real gap either: a subscriber cut off from Redis misses the message, and PUBLISH does not count it.
 */
export function redisRevocations(url: string, logger: Logger): RevocationBus {
  const publisher = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
  const subscriber = new Redis(url, { maxRetriesPerRequest: null });
  const local = localRevocations();
  for (const client of [publisher, subscriber])
    client.on('error', (err) => logger.warn({ err: err.message }, 'redis error (key revocations)'));
  subscriber.subscribe(CHANNEL).catch((err: Error) => logger.warn({ err: err.message }, 'could not subscribe to key revocations'));
  subscriber.on('message', (_channel, keyId: string) => void local.publish(keyId));
  return {
    async publish(keyId) {
      await local.publish(keyId);
      await publisher
        .publish(CHANNEL, keyId)
        .catch((err: Error) => logger.warn({ err: err.message, keyId }, 'could not publish a key revocation'));
    },
    subscribe: (listener) => local.subscribe(listener),
    async close() {
      await local.close();
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}

// Cluster IPC. Each message has a `type` of its own; rate-limiter-flexible's share the channel but carry `channel`.
const HELLO = 'alumia:revocations-hello'; // worker → primary: this worker's cache listens from now on
const REVOKE = 'alumia:key-revoke'; // worker → primary
const EVICT = 'alumia:key-evict'; // primary → every other worker
const EVICTED = 'alumia:key-evicted'; // worker → primary
const DONE = 'alumia:key-revoke-done'; // primary → the revoking worker: every worker evicted (or the bound passed)
type Message = { type: string; id: string; keyId?: string };

// A revoke's answer waits at most this long for the other workers: one that is stuck falls back on the TTL.
const CONFIRM_WITHIN_MS = 1_000;

const isMessage = (msg: unknown, type: string): msg is Message =>
  typeof msg === 'object' && msg !== null && (msg as Message).type === type && typeof (msg as Message).id === 'string';

/**
 * A worker of several on one machine without Redis. `publish` resolves once every other worker has
 * evicted the key, so the revoke's answer is sent only when no worker can still accept it.
 */
export function clusterRevocations(logger: Logger, confirmWithinMs = CONFIRM_WITHIN_MS): RevocationBus {
  const local = localRevocations();
  const waiting = new Map<string, () => void>();
  const send = (msg: Message, onError?: (err: Error) => void) =>
    process.send?.(msg, undefined, undefined, (err: Error | null) => err && onError?.(err));
  const onMessage = (msg: unknown) => {
    if (isMessage(msg, EVICT) && typeof msg.keyId === 'string') {
      // The listeners run synchronously: the key is gone before the acknowledgement leaves.
      void local.publish(msg.keyId);
      send({ type: EVICTED, id: msg.id });
    } else if (isMessage(msg, DONE)) waiting.get(msg.id)?.();
  };
  process.on('message', onMessage);
  // Before this worker listens, so the primary counts it in every broadcast that could find its cache warm.
  send({ type: HELLO, id: String(cluster.worker?.id) });
  return {
    async publish(keyId) {
      await local.publish(keyId);
      if (!process.connected) return;
      const id = randomUUID();
      await new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve();
        };
        // Backstop for a primary that never answers; the primary itself answers after `confirmWithinMs`.
        const timer = setTimeout(() => {
          logger.warn({ keyId }, 'the primary did not confirm a key revocation; other workers fall back on the cache TTL');
          finish();
        }, 2 * confirmWithinMs);
        waiting.set(id, finish);
        send({ type: REVOKE, id, keyId }, (err) => {
          logger.warn({ err: err.message, keyId }, 'could not send a key revocation to the primary');
          finish();
        });
      });
    },
    subscribe: (listener) => local.subscribe(listener),
    async close() {
      process.off('message', onMessage);
      for (const finish of [...waiting.values()]) finish();
      await local.close();
    },
  };
}

/**
 * The primary's half of clusterRevocations: forwards a revocation to every other worker and tells the
 * revoking worker once each has evicted it. Workers that die meanwhile are not waited for; one started
 * meanwhile has nothing cached and reads the key, already revoked, from the database.
 */
export function forwardRevocations(logger: Logger, confirmWithinMs = CONFIRM_WITHIN_MS): void {
  const subscribed = new Set<Worker>();
  const pending = new Map<string, { origin: Worker; waiting: Set<Worker>; timer: NodeJS.Timeout }>();
  const settle = (id: string, force = false) => {
    const p = pending.get(id);
    if (!p || (p.waiting.size > 0 && !force)) return;
    if (p.waiting.size > 0)
      logger.warn(
        { workers: [...p.waiting].map((w) => w.id) },
        'workers did not confirm a key revocation in time; they fall back on the cache TTL',
      );
    clearTimeout(p.timer);
    pending.delete(id);
    if (p.origin.isConnected()) p.origin.send({ type: DONE, id }, undefined, undefined, () => {});
  };
  const gone = (worker: Worker) => {
    subscribed.delete(worker);
    for (const [id, p] of pending) {
      if (p.origin === worker) {
        clearTimeout(p.timer);
        pending.delete(id);
      } else if (p.waiting.delete(worker)) settle(id);
    }
  };
  cluster.on('disconnect', gone);
  cluster.on('exit', gone);
  cluster.on('message', (worker, msg: unknown) => {
    if (isMessage(msg, HELLO)) subscribed.add(worker);
    else if (isMessage(msg, EVICTED)) {
      if (pending.get(msg.id)?.waiting.delete(worker)) settle(msg.id);
    } else if (isMessage(msg, REVOKE) && typeof msg.keyId === 'string') {
      const { id, keyId } = msg;
      const targets = [...subscribed].filter((w) => w !== worker && w.isConnected());
      const timer = setTimeout(() => settle(id, true), confirmWithinMs);
      pending.set(id, { origin: worker, waiting: new Set(targets), timer });
      for (const target of targets) {
        target.send({ type: EVICT, id, keyId }, undefined, undefined, (err: Error | null) => {
          if (err && pending.get(id)?.waiting.delete(target)) settle(id);
        });
      }
      settle(id);
    }
  });
}
