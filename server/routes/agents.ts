import { Router } from 'express';
import type {
  CreateAgentData, CreateAgentResponse, DeleteAgentData, DeleteAgentResponse, GetAgentData, GetAgentResponse,
  ListAgentMessagesData, ListAgentMessagesResponse, ListAgentPeersData, ListAgentPeersResponse, ListAgentSessionsData,
  ListAgentSessionsResponse, ListAgentsData, ListAgentsResponse, UpdateAgentData, UpdateAgentResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle } from './handler.js';

export function agentRoutes({ agents }: DataLayer): Router {
  return Router()
    .get('/agents', handle<ListAgentsData, ListAgentsResponse>(200, ({ caller, query }) => agents.list(caller, query)))
    .post('/agents', handle<CreateAgentData, CreateAgentResponse>(201, ({ caller, body }) => agents.create(caller, body)))
    .get('/agents/:id', handle<GetAgentData, GetAgentResponse>(200, ({ caller, path }) => agents.get(caller, path.id)))
    .patch('/agents/:id', handle<UpdateAgentData, UpdateAgentResponse>(200, ({ caller, path, body }) => agents.update(caller, path.id, body)))
    .delete('/agents/:id', handle<DeleteAgentData, DeleteAgentResponse>(200, ({ caller, path }) => agents.remove(caller, path.id)))
    .get('/agents/:id/sessions', handle<ListAgentSessionsData, ListAgentSessionsResponse>(200, ({ caller, path, query }) => agents.sessions(caller, path.id, query)))
    .get('/agents/:id/messages', handle<ListAgentMessagesData, ListAgentMessagesResponse>(200, async ({ caller, path, query }) => ({ items: await agents.messages(caller, path.id, query.limit) })))
    .get('/agents/:id/peers', handle<ListAgentPeersData, ListAgentPeersResponse>(200, async ({ caller, path }) => ({ items: await agents.peers(caller, path.id) })));
}
