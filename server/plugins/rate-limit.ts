import cluster from 'node:cluster';
import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterCluster, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ApiError } from '../errors.js';
import { operationOf } from './operation.js';

export interface RateLimitOptions {
  enabled: boolean;
  pointsPerMinute: number;
  /** Buckets shared by every server when given. */
  redis?: Redis;
  /** Without Redis, share the bucket between the workers of this machine (IPC to the primary). */
  shareAcrossWorkers?: boolean;
}

export function bucket(keyPrefix: string, options: Omit<RateLimitOptions, 'enabled'>): RateLimiterAbstract {
  const shape = { keyPrefix, points: options.pointsPerMinute, duration: 60 };
  if (options.redis) {
    // If Redis fails, keep limiting per process rather than failing requests or limiting nothing.
    return new RateLimiterRedis({ ...shape, storeClient: options.redis, insuranceLimiter: new RateLimiterMemory(shape) });
  }
  if (options.shareAcrossWorkers && cluster.isWorker) return new RateLimiterCluster({ ...shape, timeoutMs: 1_000 });
  return new RateLimiterMemory(shape);
}

const retryAfter = (res: { setHeader(name: string, value: string): unknown }, msBeforeNext: number) => {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  res.setHeader('Retry-After', String(seconds));
  return seconds;
};

/**
 * For buckets that only failures fill: `ifEmpty` takes no token, it refuses (Retry-After and
 * `refusal(seconds)`) once the bucket's points for `key` are used up.
 */
export function refuseWhenEmpty(limit: RateLimiterAbstract, refusal: (seconds: number) => ApiError) {
  return {
    async ifEmpty(key: string, res: { setHeader(name: string, value: string): unknown }) {
      const state = await limit.get(key).catch(() => null);
      if (state && state.consumedPoints >= limit.points) throw refusal(retryAfter(res, state.msBeforeNext));
    },
  };
}

/** Takes one token for `key`; on an empty bucket sets Retry-After and throws `refusal(seconds)`. */
function limiter(limit: RateLimiterAbstract, refusal: (seconds: number) => ApiError) {
  return async (key: string, res: { setHeader(name: string, value: string): unknown }) => {
    try {
      await limit.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      throw refusal(retryAfter(res, err.msBeforeNext));
    }
  };
}

/**
 * Token bucket for sensitive operations (`x-sensitive` in the contract), keyed on user and client IP.
 * Exceeding it answers 400 with "Too many requests", as the reference documents.
 */
export function sensitiveRateLimit(options: RateLimitOptions): RequestHandler {
  if (!options.enabled) return (_req, _res, next) => next();
  const take = limiter(
    bucket('alumia:sensitive', options),
    (seconds) => new ApiError('BAD_REQUEST', `Too many requests: try again in ${seconds} s`),
  );
  return async (req, res, next) => {
    if (operationOf(req).sensitive && req.caller) await take(`${req.caller.userId}:${req.ip}`, res);
    next();
  };
}

/** Every authenticated request takes a token from its key's bucket; an empty bucket answers 429. */
export function apiRateLimit(options: RateLimitOptions): RequestHandler {
  if (!options.enabled) return (_req, _res, next) => next();
  const take = limiter(
    bucket('alumia:api', options),
    (seconds) =>
      new ApiError(
        'TOO_MANY_REQUESTS',
        `Rate limit of ${options.pointsPerMinute} requests per minute for this API key reached; retry in ${seconds} s`,
      ),
  );
  return async (req, res, next) => {
    if (req.caller) await take(req.caller.keyId, res);
    next();
  };
}
