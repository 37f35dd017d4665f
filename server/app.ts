import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { API_BASE } from './contract.js';
import { createDataLayer } from './data/index.js';
import type { Database } from './db/database.js';
import type { Logger } from './logger.js';
import { localRevocations, type RevocationBus } from './revocations.js';
import { auth } from './plugins/auth.js';
import { body } from './plugins/body.js';
import { browserOnly } from './plugins/browser-only.js';
import { errorHandler, notFoundHandler } from './plugins/error-handler.js';
import { httpLogger } from './plugins/http-logger.js';
import { idempotency, idempotencyKeyFormat } from './plugins/idempotency.js';
import { operation } from './plugins/operation.js';
import { apiRateLimit, sensitiveRateLimit } from './plugins/rate-limit.js';
import { requestId } from './plugins/request-id.js';
import { validator } from './plugins/validator.js';
import { agentRoutes } from './routes/agents.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { meRoutes } from './routes/me.js';
import { modelRoutes } from './routes/models.js';
import { sessionRoutes } from './routes/sessions.js';
import { workspaceRoutes } from './routes/workspaces.js';
import './types.js';

export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
  redis?: Redis;
  /** How key revocations reach other servers; this process only when omitted. */
  revocations?: RevocationBus;
}

/** Builds the app without listening, so tests drive it in-process. The order below is the pipeline. */
export function buildApp({ config, db, logger, redis, revocations = localRevocations() }: AppDeps): Express {
  const data = createDataLayer(db, config, revocations);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('etag', false);

  app.use(requestId());
  app.use(httpLogger(logger));
  app.use(helmet());
  // Off unless CORS_ORIGINS lists origins: API keys belong on servers, not in other sites' pages.
  if (config.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: config.corsOrigins,
        allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
        exposedHeaders: ['X-Request-Id', 'Idempotent-Replayed', 'Retry-After', 'WWW-Authenticate'],
        maxAge: 600,
      }),
    );
  }
  app.use(healthRoutes(db));
  app.use(docsRoutes());

  app.use(operation());
  app.use(auth({ apiKeys: data.apiKeys, keyEnv: config.keyEnv, logger }));
  app.use(apiRateLimit({ enabled: config.rateLimit.enabled, pointsPerMinute: config.rateLimit.requestsPerMinute, redis }));
  app.use(idempotencyKeyFormat());
  app.use(body({ requireContentLength: config.isProduction }));
  app.use(browserOnly());
  app.use(validator({ validateResponses: config.validateResponses }));
  app.use(
    sensitiveRateLimit({ enabled: config.rateLimit.enabled, pointsPerMinute: config.rateLimit.keyMintsPerMinute, redis, shareAcrossWorkers: true }),
  );
  app.use(idempotency({ store: data.idempotency, logger }));

  const api = express.Router();
  api.use(meRoutes(data), workspaceRoutes(data), apiKeyRoutes(data), modelRoutes(data), agentRoutes(data), sessionRoutes(data), dashboardRoutes(data));
  app.use(API_BASE, api);

  app.use(notFoundHandler());
  app.use(errorHandler({ logger, isProduction: config.isProduction }));
  return app;
}
