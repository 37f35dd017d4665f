import type {
  CreateAgentData,
  CreateAgentResponse,
  DeleteAgentData,
  DeleteAgentResponse,
  GetAgentData,
  GetAgentResponse,
  ListAgentMessagesData,
  ListAgentMessagesResponse,
  ListAgentPeersData,
  ListAgentPeersResponse,
  ListAgentSessionsData,
  ListAgentSessionsResponse,
  ListAgentsData,
  ListAgentsResponse,
  UpdateAgentData,
  UpdateAgentResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle, type Operations } from './handler.js';

export function agentOperations({ agents, sessions }: DataLayer): Operations {
  return {
    listAgents: handle<ListAgentsData, ListAgentsResponse>(200, ({ caller, query }) => agents.list(caller, query)),
    createAgent: handle<CreateAgentData, CreateAgentResponse>(201, ({ caller, body }) => agents.create(caller, body)),
    getAgent: handle<GetAgentData, GetAgentResponse>(200, ({ caller, path }) => agents.get(caller, path.id)),
    updateAgent: handle<UpdateAgentData, UpdateAgentResponse>(200, ({ caller, path, body }) => agents.update(caller, path.id, body)),
    deleteAgent: handle<DeleteAgentData, DeleteAgentResponse>(200, ({ caller, path }) => agents.remove(caller, path.id)),
    listAgentSessions: handle<ListAgentSessionsData, ListAgentSessionsResponse>(200, ({ caller, path, query }) =>
      sessions.forAgent(caller, path.id, query),
    ),
    listAgentMessages: handle<ListAgentMessagesData, ListAgentMessagesResponse>(200, async ({ caller, path, query }) => ({
      items: await sessions.peerMessages(caller, path.id, query.limit),
    })),
    listAgentPeers: handle<ListAgentPeersData, ListAgentPeersResponse>(200, async ({ caller, path }) => ({
      items: await agents.peers(caller, path.id),
    })),
  };
}
