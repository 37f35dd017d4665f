// The Alumia client: resource-shaped methods over the generated SDK (generated/sdk, never edited by hand).
// This module configures the SDK client and wires up the resource groups (resources/*); call.ts holds the
// plumbing they share and types.ts the public data types.
// Runtime code here uses fetch and web APIs only, so it runs in Node 20+ and in browsers alike.
import * as sdk from '../../generated/sdk/index.js';
import { createClient as createSdkClient, createConfig } from '../../generated/sdk/client/index.js';
import { base, unwrap, type CallOptions, type Transport } from './call.js';
import { parseRateLimit, type RateLimit } from './rate-limit.js';
import { DEFAULT_RETRY, retryingFetch, type RetryOptions } from './retry.js';
import { Agents } from './resources/agents.js';
import { Auth } from './resources/auth.js';
import { ApiKeys } from './resources/api-keys.js';
import { Billing } from './resources/billing.js';
import { Dashboard } from './resources/dashboard.js';
import { missionControl, type MissionControl } from './resources/mission-control.js';
import { Models } from './resources/models.js';
import { Org } from './resources/org.js';
import { Blocks, Projects } from './resources/projects.js';
import { Sessions } from './resources/sessions.js';
import { AgentTriggers } from './resources/triggers.js';
import { Webhooks } from './resources/webhooks.js';
import { Workspaces } from './resources/workspaces.js';
import type { DataOf } from './types.js';

// Re-exported so that './client.js' stays the one import for the client's API (index.ts and the CLI use it).
export { Agents, AgentTriggers, ApiKeys, Auth, Billing, Blocks, Dashboard, Models, Org, Projects, Sessions, Webhooks, Workspaces };
export { ChatStream } from './chat-stream.js';
export type {
  ActivityItem,
  ActivityKind,
  Machine,
  MissionControl,
  MissionControlParams,
  MissionControlSnapshot,
} from './resources/mission-control.js';
export type { CallOptions, CreateOptions } from './call.js';
export type { RateLimit } from './rate-limit.js';
export type { Page, PageParams } from './pagination.js';
export type {
  Agent,
  AgentMessagesParams,
  AgentTrigger,
  AgentTriggerCreated,
  CreateAgentTriggerInput,
  CreateWebhookInput,
  UpdateWebhookInput,
  Webhook,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryParams,
  WebhookWithSecret,
  Block,
  BlockType,
  CreateBlockInput,
  CreateProjectInput,
  Project,
  UpdateBlockInput,
  UpdateProjectInput,
  ApiKey,
  ApiKeyCreated,
  AuthSession,
  BrowserSession,
  ChangePasswordInput,
  LoginInput,
  SetPasswordInput,
  AcceptOrgInviteInput,
  CreateOrgInviteInput,
  Organization,
  OrgInvite,
  OrgMember,
  UpdateOrgInput,
  ChatInput,
  ChatResult,
  ChatStreamEvent,
  CreateAgentInput,
  CreateApiKeyInput,
  CreateMessageInput,
  CreateSessionInput,
  CreditAmount,
  DashboardOverview,
  Deleted,
  ErrorCode,
  ErrorDetail,
  Me,
  Message,
  MessageUsage,
  Model,
  PeerMessage,
  Role,
  Scope,
  Session,
  SessionListParams,
  UpdateAgentInput,
  UpdateSessionInput,
  UsageItem,
  UsageParams,
  UsageReport,
  UsageTotals,
  Workspace,
  WorkspaceMember,
  CreateWorkspaceInput,
  UpdateWorkspaceInput,
} from './types.js';

export interface ClientOptions {
  /**
   * An API key (`alm_live_...` or `alm_test_...`). Default: the `ALUMIA_API_KEY` environment variable.
   * Not needed with `credentials`, where the browser's session cookie signs the requests in.
   */
  apiKey?: string;
  /**
   * For a page signed in to the dashboard: send its session cookie (`'same-origin'` on the server's own
   * pages, `'include'` across origins), so no API key is needed. A key, when also given, still wins.
   */
  credentials?: RequestCredentials;
  /**
   * The server, such as `https://alumia.example.com` or `http://localhost:3000`; `/api/v1` is appended
   * unless the URL already ends with it. Default: `ALUMIA_BASE_URL`, else `http://localhost:3000`.
   */
  baseUrl?: string;
  /** A fetch implementation; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Retries: a number of retries, or finer settings; `0` turns retrying off. Default `{ max: 2, baseDelayMs: 300, maxDelayMs: 10000 }`. */
  retries?: number | Partial<RetryOptions>;
  /**
   * Per-attempt timeout in milliseconds; 0 for none. Default 30000. For `sessions.chatStream` it is the
   * longest the stream may stay silent (the server sends a keep-alive at least every 15 s).
   */
  timeoutMs?: number;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

export const DEFAULT_BASE_URL = 'http://localhost:3000';
const API_PREFIX = '/api/v1';

/** Reads an environment variable where there is one (Node, Deno, Bun); browsers have none. */
function env(name: string): string | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
  return value?.trim() || undefined;
}

/** `http://host:3000`, `http://host:3000/` and `http://host:3000/api/v1/` all become `http://host:3000/api/v1`. */
export function apiBaseUrl(baseUrl: string): string {
  const trimmed = baseUrl.trim().replace(/\/+$/, '');
  return trimmed.endsWith(API_PREFIX) ? trimmed : `${trimmed}${API_PREFIX}`;
}

export class AlumiaClient {
  /** The API root every request goes to, ending in `/api/v1`. */
  readonly baseUrl: string;
  readonly agents: Agents;
  readonly apiKeys: ApiKeys;
  readonly models: Models;
  readonly sessions: Sessions;
  /** Projects, and their canvas blocks as `projects.blocks`. */
  readonly projects: Projects;
  readonly workspaces: Workspaces;
  readonly dashboard: Dashboard;
  readonly billing: Billing;
  /** The snapshot (`missionControl(params)`) and the whole activity feed (`missionControl.activity(params)`). */
  readonly missionControl: MissionControl;
  /** Dashboard sign-in and account security, over the session cookie (`credentials`); see resources/auth.ts. */
  readonly auth: Auth;
  /** The organization's settings, members and invites; changes are browser-only (see resources/org.ts). */
  readonly org: Org;
  /** Webhook endpoints and their delivery logs; changes are browser-only (see resources/webhooks.ts). */
  readonly webhooks: Webhooks;
  readonly #t: Transport;
  #lastRateLimit: readonly RateLimit[] = [];

  constructor(options: ClientOptions = {}) {
    const apiKey = options.apiKey?.trim() || env('ALUMIA_API_KEY');
    if (!apiKey && !options.credentials)
      throw new TypeError(
        'Alumia: no API key: pass createClient({ apiKey }) or set ALUMIA_API_KEY (or, in a signed-in page, { credentials })',
      );
    this.baseUrl = apiBaseUrl(options.baseUrl?.trim() || env('ALUMIA_BASE_URL') || DEFAULT_BASE_URL);
    const retries = options.retries;
    const retry: RetryOptions = typeof retries === 'number' ? { ...DEFAULT_RETRY, max: retries } : { ...DEFAULT_RETRY, ...retries };
    const baseFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const timeoutMs = options.timeoutMs ?? 30_000;
    const sdkClient = (fetch: typeof globalThis.fetch) =>
      createSdkClient(
        createConfig({
          baseUrl: this.baseUrl,
          // The key goes in the bearer scheme only: never into the session cookie the contract also lists.
          ...(apiKey ? { auth: (scheme: { scheme?: string }) => (scheme.scheme === 'bearer' ? apiKey : undefined) } : {}),
          ...(options.credentials ? { credentials: options.credentials } : {}),
          ...(options.headers ? { headers: options.headers } : {}),
          fetch,
        }),
      );
    this.#t = {
      client: sdkClient(retryingFetch({ fetch: baseFetch, retry, timeoutMs, onResponse: this.#observe })),
      // Streams: one attempt, and no timer over the whole exchange (chat-stream.ts keeps an idle timer).
      stream: {
        client: sdkClient(retryingFetch({ fetch: baseFetch, retry: { ...retry, max: 0 }, timeoutMs: 0, onResponse: this.#observe })),
        idleTimeoutMs: timeoutMs,
      },
    };
    this.agents = new Agents(this.#t);
    this.apiKeys = new ApiKeys(this.#t);
    this.models = new Models(this.#t);
    this.sessions = new Sessions(this.#t);
    this.projects = new Projects(this.#t);
    this.workspaces = new Workspaces(this.#t);
    this.dashboard = new Dashboard(this.#t);
    this.billing = new Billing(this.#t);
    this.missionControl = missionControl(this.#t);
    this.auth = new Auth(this.#t);
    this.org = new Org(this.#t);
    this.webhooks = new Webhooks(this.#t);
  }

  /**
   * The limits the most recent answer that reported any was governed by (`RateLimit` and
   * `RateLimit-Policy`): for each policy, its quota, window, what is left and when it resets. Empty until
   * an answer reports one (the server sends none when its limits are off).
   */
  get lastRateLimit(): readonly RateLimit[] {
    return this.#lastRateLimit;
  }

  readonly #observe = (response: Response): void => {
    const limits = parseRateLimit(response.headers);
    if (limits.length > 0) this.#lastRateLimit = limits;
  };

  /** The user, organization, role, workspace and key behind the API key. */
  me(options?: CallOptions): Promise<DataOf<sdk.GetMeResponse>> {
    return unwrap(sdk.getMe(base(this.#t, options)));
  }
}

/**
 * A client for the Alumia v1 API. Methods resolve to the answer's `data` and throw an AlumiaError
 * otherwise. `apiKey` and `baseUrl` fall back to `ALUMIA_API_KEY` and `ALUMIA_BASE_URL`.
 */
export function createClient(options: ClientOptions = {}): AlumiaClient {
  return new AlumiaClient(options);
}
