import { z } from 'zod';

const flag = z
  .enum(['', '0', '1', 'true', 'false'])
  .default('')
  .transform((v) => v === '1' || v === 'true');

const schema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  DATABASE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  DISABLE_RATE_LIMIT: flag,
  KEY_MINT_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000_000).default(6_000),
  AGENT_LIMIT_PER_ORG: z.coerce.number().int().min(0).default(0),
  WEB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  DEFAULT_MODEL: z.string().min(1).default('grok-3'),
  ALA_MODEL: z.string().min(1).default('grok-3'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  VALIDATE_RESPONSES: z
    .enum(['', '0', '1', 'true', 'false'])
    .default('')
    .transform((v) => v !== '0' && v !== 'false'),
  TRUST_PROXY: z.string().default(''),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(65_000),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(4_096),
  AUTH_FAILURE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(100),
  CORS_ORIGINS: z.string().default(''),
  IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .min(24)
    .max(24 * 30)
    .default(24),
});

/** The environment variables the server reads, all optional. */
export type Env = { [K in keyof z.input<typeof schema>]?: string };

export interface Config {
  env: 'production' | 'development' | 'test';
  isProduction: boolean;
  port: number;
  host: string;
  /** PostgreSQL when set; the embedded database under dataDir otherwise. */
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize: number;
  /** Upper bound on any wait for the database (connect, queue, statement). */
  dbTimeoutMs: number;
  redisUrl: string | undefined;
  rateLimit: {
    enabled: boolean;
    keyMintsPerMinute: number;
    requestsPerMinute: number;
    /** Failed authentications per client IP and minute before that IP is refused for the rest of the minute. */
    authFailuresPerMinute: number;
  };
  /** Agents an organization may hold (a plan limit, answered with 402); 0 means no limit. */
  agentLimitPerOrg: number;
  /** Worker processes (node:cluster) on this machine; more than one needs PostgreSQL. */
  workers: number;
  models: { defaultModel: string; alaModel: string };
  logLevel: string;
  validateResponses: boolean;
  /** Express `trust proxy` setting: '' (off), a hop count, or a list of addresses. */
  trustProxy: boolean | number | string;
  shutdownTimeoutMs: number;
  /** How long an idle keep-alive connection stays open: longer than a load balancer's idle timeout. */
  keepAliveTimeoutMs: number;
  /** The longest a client may take to send one whole request (headers and body). */
  requestTimeoutMs: number;
  /** Connections one server process holds open at once. */
  maxConnections: number;
  /** Browser origins allowed to call the API; empty means CORS is off. */
  corsOrigins: string[];
  /** How long a stored Idempotency-Key answer is kept (at least 24 hours). */
  idempotencyTtlMs: number;
  /** The environment minted keys carry and accepted keys must carry. */
  keyEnv: 'live' | 'test';
}

export class ConfigError extends Error {}

/** Reads and validates the environment once, at start-up. Nothing else reads process.env. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  return {
    env: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    poolSize: e.DATABASE_POOL_SIZE,
    dbTimeoutMs: e.DATABASE_TIMEOUT_MS,
    redisUrl: e.REDIS_URL,
    // The switch exists for development only; production always limits.
    rateLimit: {
      enabled: isProduction || !e.DISABLE_RATE_LIMIT,
      keyMintsPerMinute: e.KEY_MINT_LIMIT_PER_MINUTE,
      requestsPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
      authFailuresPerMinute: e.AUTH_FAILURE_LIMIT_PER_MINUTE,
    },
    agentLimitPerOrg: e.AGENT_LIMIT_PER_ORG,
    workers: e.WEB_CONCURRENCY,
    models: { defaultModel: e.DEFAULT_MODEL, alaModel: e.ALA_MODEL },
    logLevel: e.LOG_LEVEL,
    validateResponses: e.VALIDATE_RESPONSES,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    maxConnections: e.MAX_CONNECTIONS,
    corsOrigins: e.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    idempotencyTtlMs: e.IDEMPOTENCY_TTL_HOURS * 60 * 60 * 1000,
    keyEnv: isProduction ? 'live' : 'test',
  };
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === '' || value === 'false' || value === '0') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
