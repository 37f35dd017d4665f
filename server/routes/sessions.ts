import type {
  CreateSessionData,
  CreateSessionMessageData,
  CreateSessionMessageResponse,
  CreateSessionResponse,
  DeleteSessionData,
  DeleteSessionResponse,
  GetSessionData,
  GetSessionResponse,
  ListSessionMessagesData,
  ListSessionMessagesResponse,
  ListSessionsData,
  ListSessionsResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle, type Operations } from './handler.js';

export function sessionOperations({ sessions }: DataLayer): Operations {
  return {
    listSessions: handle<ListSessionsData, ListSessionsResponse>(200, ({ caller, query }) => sessions.list(caller, query)),
    createSession: handle<CreateSessionData, CreateSessionResponse>(201, ({ caller, body }) => sessions.create(caller, body)),
    getSession: handle<GetSessionData, GetSessionResponse>(200, ({ caller, path }) => sessions.get(caller, path.id)),
    deleteSession: handle<DeleteSessionData, DeleteSessionResponse>(200, ({ caller, path }) => sessions.remove(caller, path.id)),
    listSessionMessages: handle<ListSessionMessagesData, ListSessionMessagesResponse>(200, ({ caller, path, query }) =>
      sessions.listMessages(caller, path.id, query),
    ),
    createSessionMessage: handle<CreateSessionMessageData, CreateSessionMessageResponse>(201, ({ caller, path, body }) =>
      sessions.postMessage(caller, path.id, body),
    ),
  };
}
