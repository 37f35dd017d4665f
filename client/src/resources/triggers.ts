import * as sdk from '../../../generated/sdk/index.js';
import { base, idempotency, type CallOptions, type CreateOptions, type Transport, unwrap } from '../call.js';
import type { CreateAgentTriggerInput, DataOf } from '../types.js';

/**
 * An agent's inbound trigger URLs (`agents.triggers`): `create` and `revoke` are browser-only; `list` works
 * with a key (`agents:read`) and never shows tokens or secrets.
 */
export class AgentTriggers {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** The agent's live triggers, newest first (not paginated). */
  list(agent: string, options?: CallOptions): Promise<DataOf<sdk.ListAgentTriggersResponse>> {
    return unwrap(sdk.listAgentTriggers({ ...base(this.#t, options), path: { id: agent } }));
  }

  /** A new trigger: the answer's `url` and `token` (and `secret` with `verifySignatures`) are shown this once. */
  create(agent: string, body: CreateAgentTriggerInput = {}, options?: CreateOptions): Promise<DataOf<sdk.CreateAgentTriggerResponse>> {
    return unwrap(sdk.createAgentTrigger({ ...base(this.#t, options), ...idempotency(options), path: { id: agent }, body }));
  }

  /** The URL stops working at once; revoking it again answers the same. */
  revoke(agent: string, triggerId: string, options?: CallOptions): Promise<DataOf<sdk.RevokeAgentTriggerResponse>> {
    return unwrap(sdk.revokeAgentTrigger({ ...base(this.#t, options), path: { id: agent, triggerId } }));
  }
}
