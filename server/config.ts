import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseCredits } from './domain/credits.js';
import { readProvidersFile, type FileModel } from './providers/providers-file.js';

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
  XAI_API_KEY: z.string().default(''),
  XAI_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.x.ai/v1'),
  OPENAI_API_KEY: z.string().default(''),
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.openai.com/v1'),
  MODEL_PROVIDERS_FILE: z.string().default(''),
  MODEL_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  MODEL_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  SSE_KEEPALIVE_MS: z.coerce.number().int().min(100).max(15_000).default(15_000),
  INITIAL_CREDITS: z
    .string()
    .default('0')
    .refine((v) => parseCredits(v) !== undefined, 'must be a non-negative number of credits with at most 6 decimals'),
  IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .min(24)
    .max(24 * 30)
    .default(24),
  MACHINE_NAME: z.string().trim().min(1).max(255).optional(),
  HEARTBEAT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .positive()
    .max(60 * 24 * 30)
    .default(60),
  SESSION_MAX_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 366)
    .default(168),
  STEP_UP_MINUTES: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(10),
  DOCS_ASSISTANT_MODEL: z.string().trim().min(1).optional(),
  DOCS_ASK_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(20),
  INQUIRY_LIMIT_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(5),
  SHARE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(60),
  TRIGGER_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(60),
  WEBHOOK_ALLOW_PRIVATE: flag,
  RETRY_SCHEDULE_SCALE: z.coerce.number().positive().max(1).default(1),
  SECRETS_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be the base64 of 32 random bytes (openssl rand -base64 32)')
    .optional(),
});

/** The names of every environment variable the server reads. */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as Array<keyof z.input<typeof schema>>;

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
    /** Docs assistant questions per client IP (or key) and minute. */
    docsAsksPerMinute: number;
    /** Enterprise inquiries per client IP and hour. */
    inquiriesPerHour: number;
    /** Share link pages (HTML and JSON) per client IP and minute. */
    sharesPerMinute: number;
    /** Requests to one trigger URL per minute. */
    triggersPerMinute: number;
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
  /** OpenAI-compatible providers: the built-in xai and openai (when their key is set) and the file's. */
  providers: ProviderConfig[];
  /** Models the providers file adds to the catalog. */
  extraModels: FileModel[];
  chat: {
    /** The longest wait for a model's first token. */
    firstTokenTimeoutMs: number;
    /** The longest gap between two chunks of a model's answer. */
    idleTimeoutMs: number;
    /** How often a streamed answer sends a keep-alive comment. */
    keepAliveMs: number;
  };
  /** The credits a new organization starts with, in creditMicro. */
  initialCreditMicro: bigint;
  machine: {
    /** This process as mission control names it: MACHINE_NAME, or the hostname and pid. */
    name: string;
    /** How often this process writes its heartbeat; a machine unseen for 3 of them is offline. */
    heartbeatMs: number;
  };
  /** Dashboard sessions (the alumia_session cookie). */
  browserSessions: {
    /** Without a request for this long a session ends (SESSION_IDLE_MINUTES). */
    idleMs: number;
    /** However active, a session ends this long after login (SESSION_MAX_HOURS). */
    maxMs: number;
    /** Browser-only operations are allowed this long after a password check (STEP_UP_MINUTES). */
    stepUpMs: number;
  };
  docsAssistant: {
    /** The catalog model that writes the docs assistant's answers; passages only when unset. */
    model: string | undefined;
  };
  webhooks: {
    /** Private, loopback and link-local targets allowed (WEBHOOK_ALLOW_PRIVATE; never in production). */
    allowPrivate: boolean;
    /** Plain http targets allowed (outside production). */
    allowHttp: boolean;
    /** Multiplies every retry delay (RETRY_SCHEDULE_SCALE, 1 by default): tests shrink the schedule. */
    retryScale: number;
  };
  /**
   * The key that seals stored secrets (webhook signing secrets): SECRETS_KEY, or else a key file the
   * server creates under DATA_DIR. Servers sharing one database must share it.
   */
  secretsKey: { value: string | undefined; file: string };
}

export interface ProviderConfig {
  id: string;
  baseURL: string;
  apiKey: string | undefined;
  /** The variable that holds the key, named in errors. */
  keyVariable: string;
  /** What to set for the provider to work, when it cannot yet. */
  missing: string | undefined;
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
  let file: ReturnType<typeof readProvidersFile> = { providers: [], models: [] };
  if (e.MODEL_PROVIDERS_FILE) {
    try {
      file = readProvidersFile(e.MODEL_PROVIDERS_FILE, env);
    } catch (err) {
      throw new ConfigError(`Invalid configuration:\n  MODEL_PROVIDERS_FILE: ${(err as Error).message}`);
    }
  }
  const builtIn = (id: string, apiKey: string, baseURL: string, keyVariable: string): ProviderConfig => ({
    id,
    baseURL,
    apiKey: apiKey || undefined,
    keyVariable,
    missing: apiKey ? undefined : keyVariable,
  });
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
      docsAsksPerMinute: e.DOCS_ASK_LIMIT_PER_MINUTE,
      inquiriesPerHour: e.INQUIRY_LIMIT_PER_HOUR,
      sharesPerMinute: e.SHARE_LIMIT_PER_MINUTE,
      triggersPerMinute: e.TRIGGER_LIMIT_PER_MINUTE,
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
    providers: [
      builtIn('xai', e.XAI_API_KEY, e.XAI_BASE_URL, 'XAI_API_KEY'),
      builtIn('openai', e.OPENAI_API_KEY, e.OPENAI_BASE_URL, 'OPENAI_API_KEY'),
      ...file.providers.map((p) => ({
        id: p.id,
        baseURL: p.baseURL,
        apiKey: p.apiKey,
        keyVariable: p.keyVariable,
        missing: p.missingKeyVariable,
      })),
    ],
    extraModels: file.models,
    chat: { firstTokenTimeoutMs: e.MODEL_TIMEOUT_MS, idleTimeoutMs: e.MODEL_IDLE_TIMEOUT_MS, keepAliveMs: e.SSE_KEEPALIVE_MS },
    initialCreditMicro: parseCredits(e.INITIAL_CREDITS)!,
    machine: { name: e.MACHINE_NAME ?? `${hostname()}-${process.pid}`, heartbeatMs: e.HEARTBEAT_MS },
    browserSessions: {
      idleMs: Math.round(e.SESSION_IDLE_MINUTES * 60_000),
      maxMs: Math.round(e.SESSION_MAX_HOURS * 3_600_000),
      stepUpMs: Math.round(e.STEP_UP_MINUTES * 60_000),
    },
    docsAssistant: { model: e.DOCS_ASSISTANT_MODEL },
    webhooks: { allowPrivate: !isProduction && e.WEBHOOK_ALLOW_PRIVATE, allowHttp: !isProduction, retryScale: e.RETRY_SCHEDULE_SCALE },
    secretsKey: { value: e.SECRETS_KEY, file: join(e.DATA_DIR, 'secrets.key') },
  };
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === '' || value === 'false' || value === '0') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
