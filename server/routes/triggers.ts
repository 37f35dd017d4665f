import type {
  CreateAgentTriggerData,
  CreateAgentTriggerResponse,
  ListAgentTriggersData,
  ListAgentTriggersResponse,
  RevokeAgentTriggerData,
  RevokeAgentTriggerResponse,
  RunTriggerData,
  RunTriggerResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { rawBodyOf } from '../plugins/body.js';
import { ownOrigin } from '../plugins/csrf.js';
import { handle, handleResponse, sendData, type Operations } from './handler.js';

// Inbound agent triggers (issue 15). Create and revoke are browser-only in the contract, so the
// browser-only plugin has refused every API key before these run.
export function triggerOperations({ agentTriggers }: DataLayer): Operations {
  return {
    createAgentTrigger: handleResponse<CreateAgentTriggerData>(async ({ caller, path, body }, req, res) => {
      const created: CreateAgentTriggerResponse['data'] = await agentTriggers.create(caller, path.id, body, ownOrigin(req));
      sendData(res, 201, created);
    }),
    listAgentTriggers: handle<ListAgentTriggersData, ListAgentTriggersResponse>(200, ({ caller, path }) =>
      agentTriggers.list(caller, path.id),
    ),
    revokeAgentTrigger: handle<RevokeAgentTriggerData, RevokeAgentTriggerResponse>(200, ({ caller, path }) =>
      agentTriggers.revoke(caller, path.id, path.triggerId),
    ),
    // The token is the credential: the handler needs the raw bytes a signature covers, and the headers.
    // A key sent along is no part of it and is ignored (auth has checked it).
    runTrigger: {
      isPublic: true,
      run: async (req, res) => {
        const { token } = req.operationParams as RunTriggerData['path'];
        const rawBody = rawBodyOf(req) ?? Buffer.alloc(0);
        const started: RunTriggerResponse['data'] = await agentTriggers.run({ token, rawBody, body: req.body, headers: req.headers });
        sendData(res, 202, started);
      },
    },
  };
}
