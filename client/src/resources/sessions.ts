import * as sdk from '../../../generated/sdk/index.js';
import { base, idempotency, type CallOptions, type CreateOptions, type Transport, unwrap } from '../call.js';
import { PageIterator, type PageParams } from '../pagination.js';
import type { CreateMessageInput, CreateSessionInput, DataOf, Message, Session } from '../types.js';

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
