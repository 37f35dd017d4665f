import type {
  ChatSessionData,
  UpdateSessionData,
  UpdateSessionResponse,
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
import type { Request, Response } from 'express';
import type { Config } from '../config.js';
import type { DataLayer } from '../data/index.js';
import { sendEventStream } from '../sse.js';
import { handle, handleResponse, sendData, type Operations } from './handler.js';

export function sessionOperations({ sessions, chat }: DataLayer, config: Pick<Config, 'chat'>): Operations {
  return {
    listSessions: handle<ListSessionsData, ListSessionsResponse>(200, ({ caller, query }) => sessions.list(caller, query)),
    createSession: handle<CreateSessionData, CreateSessionResponse>(201, ({ caller, body }) => sessions.create(caller, body)),
    getSession: handle<GetSessionData, GetSessionResponse>(200, ({ caller, path }) => sessions.get(caller, path.id)),
    updateSession: handle<UpdateSessionData, UpdateSessionResponse>(200, ({ caller, path, body }) =>
      sessions.update(caller, path.id, body),
    ),
    deleteSession: handle<DeleteSessionData, DeleteSessionResponse>(200, ({ caller, path }) => sessions.remove(caller, path.id)),
    listSessionMessages: handle<ListSessionMessagesData, ListSessionMessagesResponse>(200, ({ caller, path, query }) =>
      sessions.listMessages(caller, path.id, query),
    ),
    createSessionMessage: handle<CreateSessionMessageData, CreateSessionMessageResponse>(201, ({ caller, path, body }) =>
      sessions.postMessage(caller, path.id, body),
    ),
    chatSession: handleResponse<ChatSessionData>(async ({ caller, path, body }, req, res) => {
      const prepared = await chat.prepare(caller, path.id, body); // every refusal is a JSON error, before any stream
      const signal = abortedWhenClientLeaves(res);
      if (!wantsStream(req, body.stream)) {
        sendData(res, 201, await chat.complete(prepared, signal));
        return;
      }
      const events = await chat.openStream(prepared, signal);
      await sendEventStream(res, events, config.chat.keepAliveMs, (stored) => res.locals.recordStream?.(stored) ?? Promise.resolve());
    }),
  };
}

/** `stream` decides when given; otherwise an Accept header that names text/event-stream does. */
const wantsStream = (req: Request, stream: boolean | undefined) => stream ?? /\btext\/event-stream\b/i.test(req.headers.accept ?? '');

/** A signal that aborts when the connection closes before the answer was sent in full. */
function abortedWhenClientLeaves(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
