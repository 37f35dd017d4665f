import * as sdk from '../../../generated/sdk/index.js';
import { base, idempotency, type CallOptions, type CreateOptions, type Transport, unwrap } from '../call.js';
import { ChatStream, chatRequest } from '../chat-stream.js';
import { PageIterator, type PageParams } from '../pagination.js';
import type {
  ChatInput,
  ChatResult,
  CreateMessageInput,
  CreateSessionInput,
  DataOf,
  Message,
  Session,
  SessionListParams,
  UpdateSessionInput,
} from '../types.js';

export class Sessions {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Every session, following pages as you iterate; `agentId` and `relationship` filter them. */
  list(params: SessionListParams = {}, options?: CallOptions): PageIterator<Session, SessionListParams> {
    return new PageIterator((p) => this.listPage(p, options), params);
  }

  /** One page of sessions, most recently updated first; `agentId` (UUID or slug) and `relationship` filter them. */
  listPage(params: SessionListParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListSessionsResponse>> {
    return unwrap(sdk.listSessions({ ...base(this.#t, options), query: params }));
  }

  get(id: string, options?: CallOptions): Promise<DataOf<sdk.GetSessionResponse>> {
    return unwrap(sdk.getSession({ ...base(this.#t, options), path: { id } }));
  }

  create(body: CreateSessionInput, options?: CreateOptions): Promise<DataOf<sdk.CreateSessionResponse>> {
    return unwrap(sdk.createSession({ ...base(this.#t, options), ...idempotency(options), body }));
  }

  /** Changes the title and/or replaces the whole metadata object (send every key you want to keep). */
  update(id: string, changes: UpdateSessionInput, options?: CallOptions): Promise<DataOf<sdk.UpdateSessionResponse>> {
    return unwrap(sdk.updateSession({ ...base(this.#t, options), path: { id }, body: changes }));
  }

  delete(id: string, options?: CallOptions): Promise<DataOf<sdk.DeleteSessionResponse>> {
    return unwrap(sdk.deleteSession({ ...base(this.#t, options), path: { id } }));
  }

  /** Adds an agent (UUID or slug) to the session's participants (browser-only: needs step-up). */
  addParticipant(id: string, agentId: string, options?: CallOptions): Promise<DataOf<sdk.AddSessionParticipantResponse>> {
    return unwrap(sdk.addSessionParticipant({ ...base(this.#t, options), path: { id }, body: { agentId } }));
  }

  /** Takes an agent out of the session; never the last one (409). Browser-only: needs step-up. */
  removeParticipant(id: string, agentId: string, options?: CallOptions): Promise<DataOf<sdk.RemoveSessionParticipantResponse>> {
    return unwrap(sdk.removeSessionParticipant({ ...base(this.#t, options), path: { id, agentId } }));
  }

  /** Every message of the session, oldest first, following pages as you iterate. */
  messages(id: string, params: PageParams = {}, options?: CallOptions): PageIterator<Message> {
    return new PageIterator((p) => this.messagesPage(id, p, options), params);
  }

  messagesPage(id: string, params: PageParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListSessionMessagesResponse>> {
    return unwrap(sdk.listSessionMessages({ ...base(this.#t, options), path: { id }, query: params }));
  }

  /** Posts a message as the calling user or, with `agentId`, as one of the session's agents. No model is called. */
  postMessage(id: string, body: CreateMessageInput, options?: CreateOptions): Promise<DataOf<sdk.CreateSessionMessageResponse>> {
    return unwrap(sdk.createSessionMessage({ ...base(this.#t, options), ...idempotency(options), path: { id }, body }));
  }

  /**
   * Sends a message and waits for the agent's whole reply: resolves to the stored `{ message, reply }`.
   * `agentId` names the agent that answers (needed when several could), `fromAgentId` makes the message a
   * peer message of that agent. Retried like every create when `idempotencyKey` is given (the model is
   * then called once). The client's `timeoutMs` covers the whole answer: for long ones use `chatStream`.
   */
  chat(id: string, input: ChatInput, options?: CreateOptions): Promise<ChatResult> {
    type Answer = { 201: sdk.ChatSessionResponses[201] };
    return unwrap(this.#t.client.post<Answer, sdk.ChatSessionErrors, false>(chatRequest(id, input, false, options)));
  }

  /**
   * Sends a message and streams the agent's reply: an async iterable of `message`, `delta`s, then `reply`
   * or `error`, and `done`. Errors before the stream throw like any method; see ChatStream for the rest.
   *
   * ```ts
   * let text = '';
   * for await (const e of client.sessions.chatStream(id, { content: 'Hello' })) {
   *   if (e.event === 'delta') text += e.data.text; // show it as it grows
   * }
   * ```
   */
  chatStream(id: string, input: ChatInput, options?: CreateOptions): ChatStream {
    return new ChatStream(this.#t.stream, id, input, options);
  }
}
