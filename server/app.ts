import cors from 'cors';
import express, { type Express, type RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { ROUTING, operations } from './contract.js';
import { createDataLayer, type DataLayer } from './data/index.js';
import type { Database } from './db/database.js';
import type { Logger } from './logger.js';
import { localRevocations, type RevocationBus } from './revocations.js';
import { accessLog } from './plugins/access-log.js';
import { auth } from './plugins/auth.js';
import { body } from './plugins/body.js';
import { browserOnly } from './plugins/browser-only.js';
import { compose } from './plugins/compose.js';
import { csrf } from './plugins/csrf.js';
import { errorHandler } from './plugins/error-handler.js';
import { requireHost } from './plugins/host.js';
import { idempotency, idempotencyKeyFormat } from './plugins/idempotency.js';
import { operation } from './plugins/operation.js';
import { apiRateLimit, sensitiveRateLimit, utilityRateLimit, type UtilityPolicy } from './plugins/rate-limit.js';
import { requestId } from './plugins/request-id.js';
import { securityHeaders } from './plugins/security-headers.js';
import { validator } from './plugins/validator.js';
import { dashboardAppRoutes } from './routes/dashboard-app.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { sharePageRoutes } from './routes/share-page.js';
import { dispatch } from './routes/index.js';
import './types.js';

export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
  redis?: Redis;
  /** How key revocations reach other servers; this process only when omitted. */
  revocations?: RevocationBus;
}

/** Builds the app without listening, so tests drive it in-process. The list below is the pipeline. */
export function buildApp({ config, db, logger, redis, revocations = localRevocations() }: AppDeps): Express {
  const data = createDataLayer(db, config, revocations, logger);
  const limits = config.rateLimit;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('etag', false);
  // One matching rule: the validator reads these two settings, the operation lookup the same constant.
  app.set('case sensitive routing', ROUTING.caseSensitive);
  app.set('strict routing', ROUTING.strict);

  // prettier-ignore
  const pipeline: Array<RequestHandler | RequestHandler[]> = [
    requestId(),                    // every answer and log line carries a safe id
    accessLog(logger),              // one line per request, keys redacted, written when it ends
    securityHeaders(),              // helmet's headers, computed once, on every answer
    requireHost(),                  // HTTP/1.1 without Host: 400 in the envelope, not Node's bare one
    ...(config.corsOrigins.length > 0 ? [corsFor(config.corsOrigins)] : []), // off unless origins are listed
    healthRoutes(db),               // /healthz, /readyz: no key, outside the contract
    docsRoutes(),                   // /docs and the contract itself: no key
    dashboardAppRoutes(),           // /dashboard: the web app's built files, no key (the page signs in itself)
    sharePageRoutes(data.shareLinks, { enabled: limits.enabled, redis, policy: utilityPolicies(config)['share-page']! }), // /share/<token>: a project's public page, no key
    data.machines.counter(),        // API requests (not health or docs) for this machine's heartbeat
    operation(),                    // place the request in the contract, or 404: nothing below runs unplaced
    auth({ apiKeys: data.apiKeys, sessions: data.browserSessions, redis, failuresPerMinute: limits.enabled ? limits.authFailuresPerMinute : undefined }), // a Caller (key, else session cookie), or 401/403
    csrf(),                         // unsafe cookie requests (and login) from another site: 403, before the body is read
    apiRateLimit({ enabled: limits.enabled, pointsPerMinute: limits.requestsPerMinute, redis }), // per key: 429
    utilityRateLimit({ enabled: limits.enabled, redis, policies: utilityPolicies(config) }, rateLimitedOperations()), // x-rate-limit: 429
    idempotencyKeyFormat(),         // a malformed Idempotency-Key is a 400 before the body is read
    body({ requireContentLength: config.isProduction }), // the route's cap (413), then JSON parsing
    browserOnly(),                  // operations and fields only a dashboard session may use: 403
    validator({ validateResponses: config.validateResponses }), // the contract on requests and answers
    sensitiveRateLimit({ enabled: limits.enabled, pointsPerMinute: limits.keyMintsPerMinute, redis, shareAcrossWorkers: true }), // x-sensitive: 400
    idempotency({ store: data.idempotency, logger }), // replay, or reserve the key for this request
    dispatch(data, config),         // the operation's handler
  ];
  app.use(compose(pipeline)); // the list as one middleware: one express layer, not one per step
  app.use(errorHandler({ logger, isProduction: config.isProduction })); // every failure, in the envelope
  app.locals.data = data;
  return app;
}

/** The data layer an app was built over: main.ts runs its background work (heartbeat, webhook engine, trigger replies). */
export const dataLayerOf = (app: Express): DataLayer => app.locals.data as DataLayer;

// API keys belong on servers, not in other sites' pages: only listed origins get CORS headers.
const corsFor = (origins: string[]) =>
  cors({
    origin: origins,
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Idempotent-Replayed', 'Retry-After', 'WWW-Authenticate', 'RateLimit', 'RateLimit-Policy'],
    maxAge: 600,
  });

/** The public utilities' limits, by the policy names operations give in `x-rate-limit`. */
const utilityPolicies = ({ rateLimit }: Config): Record<string, UtilityPolicy> => ({
  'docs-ask': { points: rateLimit.docsAsksPerMinute, windowSeconds: 60, per: 'key-or-ip', unit: 'questions per minute' },
  'enterprise-inquiry': { points: rateLimit.inquiriesPerHour, windowSeconds: 3600, per: 'ip', unit: 'inquiries per hour' },
  'share-page': { points: rateLimit.sharesPerMinute, windowSeconds: 60, per: 'ip', unit: 'shared page views per minute' },
  trigger: { points: rateLimit.triggersPerMinute, windowSeconds: 60, per: 'path-token', unit: 'requests per minute to this trigger' },
});

const rateLimitedOperations = () => operations.flatMap((op) => (op.rateLimit === undefined ? [] : [op.rateLimit]));
