import { Router, type Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { ROUTER_OPTIONS } from '../contract.js';
import type { ShareLinkStore } from '../data/share-links.js';
import { SHARE_PAGE_CSP, renderNotFoundPage, renderSharePage } from '../domain/share-page.js';
import { ApiError } from '../errors.js';
import { bucket, type UtilityPolicy } from '../plugins/rate-limit.js';

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** Headers of every answer of the page: nothing cached, no referrer leaving the page, not indexed. */
function pageHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', SHARE_PAGE_CSP);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Robots-Tag', 'noindex');
}

/**
 * GET /share/<token>: a project's read-only page, server-rendered, without a key. Outside the contract like
 * /docs; `getSharedProject` serves the same data as JSON. Limited per client address like the utilities.
 */
export function sharePageRoutes(shareLinks: ShareLinkStore, limit: { enabled: boolean; redis?: Redis; policy: UtilityPolicy }): Router {
  const limiter = limit.enabled
    ? bucket('alumia:share-page-html', { points: limit.policy.points, windowSeconds: limit.policy.windowSeconds, redis: limit.redis })
    : undefined;
  return Router(ROUTER_OPTIONS).get('/share/:token', async (req, res) => {
    pageHeaders(res);
    if (limiter) {
      try {
        await limiter.consume(`ip:${req.ip}`);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        const s = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        res.setHeader('Retry-After', String(s));
        throw new ApiError('TOO_MANY_REQUESTS', `Rate limit of ${limit.policy.points} ${limit.policy.unit} reached; retry in ${s} s`);
      }
    }
    const token = String(req.params.token);
    const project = TOKEN.test(token) ? await shareLinks.shared(token).catch(notFoundAsNull) : null;
    res
      .status(project ? 200 : 404)
      .type('html')
      .send(project ? renderSharePage(project) : renderNotFoundPage());
  });
}

const notFoundAsNull = (err: unknown) => {
  if (err instanceof ApiError && err.code === 'NOT_FOUND') return null;
  throw err;
};
