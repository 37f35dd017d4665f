import * as sdk from '../../../generated/sdk/index.js';
import { base, idempotency, type CallOptions, type CreateOptions, type Transport, unwrap } from '../call.js';
import { PageIterator, type PageParams } from '../pagination.js';
import type { Agent, AgentMessagesParams, CreateAgentInput, DataOf, Session, UpdateAgentInput } from '../types.js';
import { AgentTriggers } from './triggers.js';

/** Agents: `id` is always the agent's UUID or its slug. */
export class Agents {
  readonly #t: Transport;
  /** Its inbound trigger URLs: `agents.triggers.create(agent)`, `list`, `revoke`. */
  readonly triggers: AgentTriggers;
  constructor(t: Transport) {
    this.#t = t;
    this.triggers = new AgentTriggers(t);
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
