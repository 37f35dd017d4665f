import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ApiError } from '../errors.js';

export interface RateLimitOptions {
  enabled: boolean;
  pointsPerMinute: number;
  /** Shared buckets across servers when given; a per-process bucket otherwise. */
  redis?: Redis;
}

/**
 * Token bucket for sensitive operations (`x-sensitive` in the contract), keyed on user and client IP.
 * Exceeding it answers 400 with "Too many requests", as the reference documents.
 */
export function sensitiveRateLimit(options: RateLimitOptions): RequestHandler {
  if (!options.enabled) return (_req, _res, next) => next();
  const memory = new RateLimiterMemory({ keyPrefix: 'sensitive', points: options.pointsPerMinute, duration: 60 });
  const limiter: RateLimiterAbstract = options.redis
    ? new RateLimiterRedis({
        storeClient: options.redis,
        keyPrefix: 'alumia:sensitive',
        points: options.pointsPerMinute,
        duration: 60,
        // If Redis fails, keep limiting per process rather than failing requests or limiting nothing.
        insuranceLimiter: memory,
      })
    : memory;
  return async (req, res, next) => {
    if (!req.operation?.sensitive || !req.caller) return next();
    try {
      await limiter.consume(`${req.caller.userId}:${req.ip}`);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      res.setHeader('Retry-After', String(seconds));
      throw new ApiError('BAD_REQUEST', `Too many requests: try again in ${seconds} s`);
    }
    next();
  };
}
