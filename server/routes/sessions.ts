import { Router } from 'express';
import type {
  CreateSessionData, CreateSessionMessageData, CreateSessionMessageResponse, CreateSessionResponse, DeleteSessionData,
  DeleteSessionResponse, GetSessionData, GetSessionResponse, ListSessionMessagesData, ListSessionMessagesResponse,
  ListSessionsData, ListSessionsResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle } from './handler.js';

export function sessionRoutes({ sessions }: DataLayer): Router {
  return Router()
    .get('/sessions', handle<ListSessionsData, ListSessionsResponse>(200, ({ caller, query }) => sessions.list(caller, query)))
    .post('/sessions', handle<CreateSessionData, CreateSessionResponse>(201, ({ caller, body }) => sessions.create(caller, body)))
    .get('/sessions/:id', handle<GetSessionData, GetSessionResponse>(200, ({ caller, path }) => sessions.get(caller, path.id)))
    .delete('/sessions/:id', handle<DeleteSessionData, DeleteSessionResponse>(200, ({ caller, path }) => sessions.remove(caller, path.id)))
    .get('/sessions/:id/messages', handle<ListSessionMessagesData, ListSessionMessagesResponse>(200, ({ caller, path, query }) => sessions.listMessages(caller, path.id, query)))
    .post('/sessions/:id/messages', handle<CreateSessionMessageData, CreateSessionMessageResponse>(201, ({ caller, path, body }) => sessions.postMessage(caller, path.id, body)));
}
