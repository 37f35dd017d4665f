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
    async publish(keyId) {
      events.emit('revoked', keyId);
    },
    subscribe(listener) {
      events.on('revoked', listener);
    },
    async close() {
      events.removeAllListeners();
    },
  };
}

/**
 * Several servers: revocations fan out over Redis pub/sub. A subscriber needs its own connection. If Redis
 * is unreachable the publish fails quietly and the other servers fall back on their cache TTL (1 s).
 */
export function redisRevocations(url: string, logger: Logger): RevocationBus {
  const publisher = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
  const subscriber = new Redis(url, { maxRetriesPerRequest: null });
  const local = localRevocations();
  for (const client of [publisher, subscriber]) client.on('error', (err) => logger.warn({ err: err.message }, 'redis error (key revocations)'));
  subscriber.subscribe(CHANNEL).catch((err) => logger.warn({ err: err.message }, 'could not subscribe to key revocations'));
  subscriber.on('message', (_channel, keyId: string) => void local.publish(keyId));
  return {
    async publish(keyId) {
      await local.publish(keyId);
      await publisher.publish(CHANNEL, keyId).catch((err) => logger.warn({ err: err.message, keyId }, 'could not publish a key revocation'));
    },
    subscribe: local.subscribe,
    async close() {
      await local.close();
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}
