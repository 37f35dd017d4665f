import cluster from 'node:cluster';
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterCluster, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { serializeList } from 'structured-headers';
import { budgetKey } from '../data/caller.js';
import { ApiError } from '../errors.js';
import { operationOf } from './operation.js';

export interface BucketOptions {
  points: number;
  /** The window in seconds (a minute unless said otherwise). */
  windowSeconds?: number;
  /** Buckets shared by every server when given. */
  redis?: Redis;
  /** Without Redis, share the bucket between the workers of this machine (IPC to the primary). */
  shareAcrossWorkers?: boolean;
}

export function bucket(keyPrefix: string, options: BucketOptions): RateLimiterAbstract {
  const shape = { keyPrefix, points: options.points, duration: options.windowSeconds ?? 60 };
  if (options.redis) {
    // If Redis fails, keep limiting per process rather than failing requests or limiting nothing.
    return new RateLimiterRedis({ ...shape, storeClient: options.redis, insuranceLimiter: new RateLimiterMemory(shape) });
  }
  if (options.shareAcrossWorkers && cluster.isWorker) return new RateLimiterCluster({ ...shape, timeoutMs: 1_000 });
  return new RateLimiterMemory(shape);
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

const retryAfter = (res: Pick<Response, 'setHeader'>, msBeforeNext: number) => {
  res.setHeader('Retry-After', String(seconds(msBeforeNext)));
  return seconds(msBeforeNext);
};

/**
 * For buckets that only failures fill: `ifEmpty` takes no token, it refuses (Retry-After and
 * `refusal(seconds)`) once the bucket's points for `key` are used up.
 */
export function refuseWhenEmpty(limit: RateLimiterAbstract, refusal: (seconds: number) => ApiError) {
  return {
    async ifEmpty(key: string, res: Pick<Response, 'setHeader'>) {
      const state = await limit.get(key).catch(() => null);
      if (state && state.consumedPoints >= limit.points) throw refusal(retryAfter(res, state.msBeforeNext));
    },
  };
}

/** One quota policy as draft-ietf-httpapi-ratelimit-headers-11 names it, and where the caller stands in it. */
interface PolicyState {
  name: string;
  quota: number;
  windowSeconds: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * Adds a policy to the answer's `RateLimit-Policy` and `RateLimit` fields (Structured Field lists, one
 * member per policy that governed the request), so a client sees every budget it is spending.
 */
function announce(res: Response, state: PolicyState): void {
  const states = ((res.locals as { rateLimits?: PolicyState[] }).rateLimits ??= []);
  states.push(state);
  res.setHeader(
    'RateLimit-Policy',
    serializeList(
      states.map((s) => [
        s.name,
        new Map([
          ['q', s.quota],
          ['w', s.windowSeconds],
        ]),
      ]),
    ),
  );
  res.setHeader(
    'RateLimit',
    serializeList(
      states.map((s) => [
        s.name,
        new Map([
          ['r', s.remaining],
          ['t', s.resetSeconds],
        ]),
      ]),
    ),
  );
}

/**
 * A named policy: takes one token for a key, announces the policy's figures (the shared ones with Redis),
 * and on an empty bucket sets Retry-After and throws `refusal(seconds)`.
 */
function policy(name: string, options: BucketOptions, refusal: (seconds: number) => ApiError) {
  const limit = bucket(`alumia:${name}`, options);
  const windowSeconds = options.windowSeconds ?? 60;
  return async (key: string, res: Response) => {
    try {
      const taken = await limit.consume(key);
      announce(res, {
        name,
        quota: limit.points,
        windowSeconds,
        remaining: taken.remainingPoints,
        resetSeconds: seconds(taken.msBeforeNext),
      });
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      announce(res, { name, quota: limit.points, windowSeconds, remaining: 0, resetSeconds: seconds(err.msBeforeNext) });
      throw refusal(retryAfter(res, err.msBeforeNext));
    }
  };
}

export interface RateLimitOptions extends Omit<BucketOptions, 'points'> {
  enabled: boolean;
  pointsPerMinute: number;
}

const off: RequestHandler = (_req, _res, next) => next();

/**
 * Token bucket for sensitive operations (`x-sensitive` in the contract), keyed on the user and client IP;
 * before sign-in, when there is no user yet, on the email the body names. Exceeding it answers 400 with
 * "Too many requests", as the reference documents.
 */
export function sensitiveRateLimit(options: RateLimitOptions): RequestHandler {
  if (!options.enabled) return off;
  const take = policy(
    'sensitive',
    { ...options, points: options.pointsPerMinute },
    (s) => new ApiError('BAD_REQUEST', `Too many requests: try again in ${s} s`),
  );
  return async (req, res, next) => {
    if (operationOf(req).sensitive) await take(`${sensitiveSubject(req)}:${req.ip}`, res);
    next();
  };
}

function sensitiveSubject(req: Request): string {
  if (req.caller) return req.caller.userId;
  const email: unknown = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' ? `email:${email.trim().toLowerCase()}` : 'anonymous';
}

/** Every authenticated request takes a token from its key's bucket; an empty bucket answers 429. */
export function apiRateLimit(options: RateLimitOptions): RequestHandler {
  if (!options.enabled) return off;
  const take = policy(
    'api',
    { ...options, points: options.pointsPerMinute },
    (s) =>
      new ApiError(
        'TOO_MANY_REQUESTS',
        `Rate limit of ${options.pointsPerMinute} requests per minute for this API key or session reached; retry in ${s} s`,
      ),
  );
  return async (req, res, next) => {
    if (req.caller) await take(budgetKey(req.caller), res);
    next();
  };
}

export interface UtilityPolicy {
  points: number;
  windowSeconds: number;
  /**
   * What one bucket belongs to: the key when one was sent, else the client IP; always the IP; or the
   * `token` path parameter (a trigger URL's), by its hash so no token reaches Redis.
   */
  per: 'key-or-ip' | 'ip' | 'path-token';
  /** Names the limit in the 429's message, e.g. "questions per minute". */
  unit: string;
}

/**
 * The public utilities' limits (`x-rate-limit: <policy>` in the contract): 429 with Retry-After. An
 * operation naming a policy this server does not have stops the app from being built.
 */
export function utilityRateLimit(
  options: { enabled: boolean; redis?: Redis; policies: Record<string, UtilityPolicy> },
  named: Iterable<string>,
): RequestHandler {
  for (const name of named) if (!(name in options.policies)) throw new Error(`x-rate-limit names an unknown policy ${name}`);
  if (!options.enabled) return off;
  const takers = new Map(
    Object.entries(options.policies).map(([name, p]) => [
      name,
      {
        per: p.per,
        take: policy(
          name,
          { points: p.points, windowSeconds: p.windowSeconds, redis: options.redis },
          (s) => new ApiError('TOO_MANY_REQUESTS', `Rate limit of ${p.points} ${p.unit} reached; retry in ${s} s`),
        ),
      },
    ]),
  );
  return async (req, res, next) => {
    const name = operationOf(req).rateLimit;
    const taker = name === undefined ? undefined : takers.get(name);
    if (taker) await taker.take(bucketKey(taker.per, req), res);
    next();
  };
}

function bucketKey(per: UtilityPolicy['per'], req: Request): string {
  if (per === 'path-token')
    return `token:${createHash('sha256')
      .update(req.operationParams?.token ?? '')
      .digest('hex')}`;
  return per === 'key-or-ip' && req.caller ? `key:${budgetKey(req.caller)}` : `ip:${req.ip}`;
}
