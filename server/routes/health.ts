import { Router } from 'express';
import { ROUTER_OPTIONS } from '../contract.js';
import type { Database } from '../db/database.js';
import { ApiError } from '../errors.js';

const READY_TIMEOUT_MS = 1_000;

/** Liveness needs nothing; readiness needs the database to answer within a second. */
export function healthRoutes(db: Database): Router {
  return Router(ROUTER_OPTIONS)
    .get('/healthz', (_req, res) => {
      res.json({ success: true, data: { status: 'ok' } });
    })
    .get('/readyz', async (_req, res) => {
      if (!(await db.ping(READY_TIMEOUT_MS))) {
        throw new ApiError('SERVICE_UNAVAILABLE', `The database did not answer within ${READY_TIMEOUT_MS} ms`);
      }
      res.json({ success: true, data: { status: 'ready' } });
    });
}
