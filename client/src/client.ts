// The Alumia client: resource-shaped methods over the generated SDK (generated/sdk, never edited by hand).
// Runtime code here uses fetch and web APIs only, so it runs in Node 20+ and in browsers alike.
import * as sdk from '../../generated/sdk/index.js';
import { createClient as createSdkClient, createConfig, type Client as SdkClient } from '../../generated/sdk/client/index.js';
import { AlumiaError, errorFromResponse } from './errors.js';
import { PageIterator, type Page, type PageParams } from './pagination.js';
import { DEFAULT_RETRY, describe, parseRetryAfter, retryingFetch, type RetryOptions } from './retry.js';

/** The `data` of a generated success envelope type. */
type DataOf<R> = R extends { success: true; data: infer D } ? D : never;

export type Agent = sdk.Agent;
export type ApiKey = sdk.ApiKey;
export type ApiKeyCreated = sdk.ApiKeyCreated;
export type Model = sdk.Model;
export type Session = sdk.Session;
export type Message = sdk.Message;
export type PeerMessage = sdk.PeerMessage;
export type Me = sdk.Me;
export type Workspace = sdk.Workspace;
export type DashboardOverview = sdk.DashboardOverview;
export type Scope = sdk.Scope;
export type Role = sdk.Role;
export type ErrorCode = sdk.ErrorCode;
export type ErrorDetail = sdk.ErrorDetail;
export type CreateAgentInput = sdk.CreateAgentData['body'];
export type UpdateAgentInput = sdk.UpdateAgentData['body'];
export type CreateApiKeyInput = sdk.CreateApiKeyData['body'];
export type CreateSessionInput = sdk.CreateSessionData['body'];
export type CreateMessageInput = sdk.CreateSessionMessageData['body'];
export type AgentMessagesParams = NonNullable<sdk.ListAgentMessagesData['query']>;
/** The answer to a delete: `{ deleted: true }`. */
export type Deleted = DataOf<sdk.DeleteAgentResponse>;

/** Options every method accepts. */
export interface CallOptions {
  /** Aborts the request (and any retry wait); the method then throws an AlumiaError with code `ABORTED`. */
  signal?: AbortSignal;
}

/** Options of methods that create something (POST). */
export interface CreateOptions extends CallOptions {
  /**
   * Sent as `Idempotency-Key`: the server runs the request once and replays its answer to repeats, which is
   * also what lets the client retry the POST after a 503, a 429 or a network failure. Without it a POST is
   * never retried. Use a fresh unique value per logical operation (a UUID, say) and reuse it only to repeat
   * that same operation.
   */
  idempotencyKey?: string;
}

export interface ClientOptions {
  /** An API key (`alm_live_...` or `alm_test_...`). Default: the `ALUMIA_API_KEY` environment variable. */
  apiKey?: string;
  /**
   * The server, such as `https://alumia.example.com` or `http://localhost:3000`; `/api/v1` is appended
   * unless the URL already ends with it. Default: `ALUMIA_BASE_URL`, else `http://localhost:3000`.
   */
  baseUrl?: string;
  /** A fetch implementation; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Retries: a number of retries, or finer settings; `0` turns retrying off. Default `{ max: 2, baseDelayMs: 300, maxDelayMs: 10000 }`. */
  retries?: number | Partial<RetryOptions>;
  /** Per-attempt timeout in milliseconds; 0 for none. Default 30000. */
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

type SdkResult<E> = Promise<{ data?: E | undefined; error?: unknown; response?: Response | undefined }>;

/** Awaits an SDK call and returns the envelope's `data`, or throws one AlumiaError. */
async function unwrap<E extends { success: true; data: unknown }>(call: SdkResult<E>): Promise<E['data']> {
  let result: Awaited<SdkResult<E>>;
  try {
    result = await call;
  } catch (error) {
    throw asAlumiaError(error);
  }
  const { data, error, response } = result;
  if (error !== undefined || !response?.ok) {
    if (error instanceof AlumiaError) throw error;
    if (!response) throw asAlumiaError(error);
    throw errorFromResponse(response, error, parseRetryAfter(response.headers.get('Retry-After')));
  }
  if (typeof data !== 'object' || data === null || (data as { success?: unknown }).success !== true || !('data' in data)) {
    throw new AlumiaError({
      code: 'INVALID_RESPONSE',
      status: response.status,
      message: `HTTP ${response.status} answer without the success envelope`,
      requestId: response.headers.get('X-Request-Id') ?? undefined,
    });
  }
  return data.data;
}

/** Failures thrown while reading an answer (a body cut off, a timeout mid-body, JSON that is not JSON). */
function asAlumiaError(error: unknown): AlumiaError {
  if (error instanceof AlumiaError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return new AlumiaError({ code: 'TIMEOUT', status: 0, message: 'The answer did not arrive in time', cause: error });
  if (name === 'AbortError') return new AlumiaError({ code: 'ABORTED', status: 0, message: 'The request was aborted', cause: error });
  if (error instanceof SyntaxError) return new AlumiaError({ code: 'INVALID_RESPONSE', status: 0, message: `The answer is not valid JSON: ${error.message}`, cause: error });
  return new AlumiaError({ code: 'NETWORK_ERROR', status: 0, message: describe(error), cause: error });
}

/** SDK options shared by every call: our client instance and the caller's signal. */
interface Transport {
  client: SdkClient;
}

function base(t: Transport, options: CallOptions = {}) {
  return { client: t.client, ...(options.signal ? { signal: options.signal } : {}) };
}

function idempotency(options: CreateOptions = {}) {
  return options.idempotencyKey === undefined ? {} : { headers: { 'Idempotency-Key': options.idempotencyKey } };
}

/** Agents: `id` is always the agent's UUID or its slug. */
export class Agents {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Every agent, following pages as you iterate (`limit` is the page size). */
  list(params: PageParams = {}, options?: CallOptions): PageIterator<Agent> {
    return new PageIterator((p) => this.listPage(p, options), params);
  }

  /** One page of agents, most recently updated first. */
  listPage(params: PageParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListAgentsResponse>> {
    return unwrap(sdk.listAgents({ ...base(this.#t, options), query: params }));
  }

  get(id: string, options?: CallOptions): Promise<DataOf<sdk.GetAgentResponse>> {
    return unwrap(sdk.getAgent({ ...base(this.#t, options), path: { id } }));
  }

  create(body: CreateAgentInput, options?: CreateOptions): Promise<DataOf<sdk.CreateAgentResponse>> {
    return unwrap(sdk.createAgent({ ...base(this.#t, options), ...idempotency(options), body }));
  }

  /** Changes only the fields present in `changes`. */
  update(id: string, changes: UpdateAgentInput, options?: CallOptions): Promise<DataOf<sdk.UpdateAgentResponse>> {
    return unwrap(sdk.updateAgent({ ...base(this.#t, options), path: { id }, body: changes }));
  }

  /** Soft-deletes the agent; deleting it again answers the same. */
  delete(id: string, options?: CallOptions): Promise<DataOf<sdk.DeleteAgentResponse>> {
    return unwrap(sdk.deleteAgent({ ...base(this.#t, options), path: { id } }));
  }

  /** Every session the agent takes part in, following pages as you iterate. */
  sessions(id: string, params: PageParams = {}, options?: CallOptions): PageIterator<Session> {
    return new PageIterator((p) => this.sessionsPage(id, p, options), params);
  }

  /** One page of the agent's sessions. */
  sessionsPage(id: string, params: PageParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListAgentSessionsResponse>> {
    return unwrap(sdk.listAgentSessions({ ...base(this.#t, options), path: { id }, query: params }));
  }

  /** The most recent messages of the agent's peer sessions, newest first (not paginated: `limit` caps it, default 50). */
  messages(id: string, params: AgentMessagesParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListAgentMessagesResponse>> {
    return unwrap(sdk.listAgentMessages({ ...base(this.#t, options), path: { id }, query: params }));
  }

  /** The agents this agent may message. */
  peers(id: string, options?: CallOptions): Promise<DataOf<sdk.ListAgentPeersResponse>> {
    return unwrap(sdk.listAgentPeers({ ...base(this.#t, options), path: { id } }));
  }
}

export class ApiKeys {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Every key the caller may see, revoked and expired ones included, following pages as you iterate. */
  list(params: PageParams = {}, options?: CallOptions): PageIterator<ApiKey> {
    return new PageIterator((p) => this.listPage(p, options), params);
  }

  listPage(params: PageParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListApiKeysResponse>> {
    return unwrap(sdk.listApiKeys({ ...base(this.#t, options), query: params }));
  }

  /** Mints a key; the answer's `key` is the secret, shown this once. */
  create(body: CreateApiKeyInput, options?: CreateOptions): Promise<DataOf<sdk.CreateApiKeyResponse>> {
    return unwrap(sdk.createApiKey({ ...base(this.#t, options), ...idempotency(options), body }));
  }

  /**
   * Revokes a key by id. Revoking a revoked key throws CONFLICT; so may a retry whose first attempt revoked
   * the key but lost its answer on the network.
   */
  revoke(id: string, options?: CallOptions): Promise<DataOf<sdk.RevokeApiKeyResponse>> {
    return unwrap(sdk.revokeApiKey({ ...base(this.#t, options), path: { id } }));
  }
}

export class Models {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** The model catalog (not paginated). */
  list(options?: CallOptions): Promise<DataOf<sdk.ListModelsResponse>> {
    return unwrap(sdk.listModels(base(this.#t, options)));
  }
}

export class Sessions {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Every session, following pages as you iterate. */
  list(params: PageParams = {}, options?: CallOptions): PageIterator<Session> {
    return new PageIterator((p) => this.listPage(p, options), params);
  }

  listPage(params: PageParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListSessionsResponse>> {
    return unwrap(sdk.listSessions({ ...base(this.#t, options), query: params }));
  }

  get(id: string, options?: CallOptions): Promise<DataOf<sdk.GetSessionResponse>> {
    return unwrap(sdk.getSession({ ...base(this.#t, options), path: { id } }));
  }

  create(body: CreateSessionInput, options?: CreateOptions): Promise<DataOf<sdk.CreateSessionResponse>> {
    return unwrap(sdk.createSession({ ...base(this.#t, options), ...idempotency(options), body }));
  }

  delete(id: string, options?: CallOptions): Promise<DataOf<sdk.DeleteSessionResponse>> {
    return unwrap(sdk.deleteSession({ ...base(this.#t, options), path: { id } }));
  }

  /** Every message of the session, oldest first, following pages as you iterate. */
  messages(id: string, params: PageParams = {}, options?: CallOptions): PageIterator<Message> {
    return new PageIterator((p) => this.messagesPage(id, p, options), params);
  }

  messagesPage(id: string, params: PageParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListSessionMessagesResponse>> {
    return unwrap(sdk.listSessionMessages({ ...base(this.#t, options), path: { id }, query: params }));
  }

  /** Posts a message as the calling user or, with `agentId`, as one of the session's agents. */
  postMessage(id: string, body: CreateMessageInput, options?: CreateOptions): Promise<DataOf<sdk.CreateSessionMessageResponse>> {
    return unwrap(sdk.createSessionMessage({ ...base(this.#t, options), ...idempotency(options), path: { id }, body }));
  }
}

export class Workspaces {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** The workspaces the caller can see (not paginated). */
  list(options?: CallOptions): Promise<DataOf<sdk.ListWorkspacesResponse>> {
    return unwrap(sdk.listWorkspaces(base(this.#t, options)));
  }

  get(id: string, options?: CallOptions): Promise<DataOf<sdk.GetWorkspaceResponse>> {
    return unwrap(sdk.getWorkspace({ ...base(this.#t, options), path: { id } }));
  }
}

export class Dashboard {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Counts and recent agents of the caller's organization and current workspace. */
  overview(options?: CallOptions): Promise<DataOf<sdk.GetDashboardOverviewResponse>> {
    return unwrap(sdk.getDashboardOverview(base(this.#t, options)));
  }
}

export class AlumiaClient {
  /** The API root every request goes to, ending in `/api/v1`. */
  readonly baseUrl: string;
  readonly agents: Agents;
  readonly apiKeys: ApiKeys;
  readonly models: Models;
  readonly sessions: Sessions;
  readonly workspaces: Workspaces;
  readonly dashboard: Dashboard;
  readonly #t: Transport;

  constructor(options: ClientOptions = {}) {
    const apiKey = options.apiKey?.trim() || env('ALUMIA_API_KEY');
    if (!apiKey) throw new TypeError('Alumia: no API key: pass createClient({ apiKey }) or set ALUMIA_API_KEY');
    this.baseUrl = apiBaseUrl(options.baseUrl?.trim() || env('ALUMIA_BASE_URL') || DEFAULT_BASE_URL);
    const retries = options.retries;
    const retry: RetryOptions = typeof retries === 'number' ? { ...DEFAULT_RETRY, max: retries } : { ...DEFAULT_RETRY, ...retries };
    const baseFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const client = createSdkClient(
      createConfig({
        baseUrl: this.baseUrl,
        auth: apiKey,
        ...(options.headers ? { headers: options.headers } : {}),
        fetch: retryingFetch({ fetch: baseFetch, retry, timeoutMs: options.timeoutMs ?? 30_000 }),
      }),
    );
    this.#t = { client };
    this.agents = new Agents(this.#t);
    this.apiKeys = new ApiKeys(this.#t);
    this.models = new Models(this.#t);
    this.sessions = new Sessions(this.#t);
    this.workspaces = new Workspaces(this.#t);
    this.dashboard = new Dashboard(this.#t);
  }

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

export type { Page, PageParams };
