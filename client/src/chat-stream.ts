// Chat requests: POST /sessions/{id}/chat, answered once as JSON, or streamed as server-sent events that
// eventsource-parser parses and ChatStream hands out as typed ChatStreamEvents.
//
// A stream is never retried, whatever the client's retry settings. Its events are handed to the caller as
// they arrive, and a retry could not take back those already handed out: the caller would see a second
// `message` and the reply's text from the start again. A retry also calls the model again unless the
// request carries an Idempotency-Key. So a failure is thrown as it is, and the caller decides: sent again
// with the same `idempotencyKey`, the chat replays what the server stored (the message and the reply as it
// was kept, its text as one `delta`); a new key asks for a new answer.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Client as SdkClient } from '../../generated/sdk/client/index.js';
import { failureOf, type CreateOptions, type Transport } from './call.js';
import { AlumiaError, isAlumiaError } from './errors.js';
import { describe } from './retry.js';
import type { ChatInput, ChatStreamEvent } from './types.js';

const EVENTS: ReadonlySet<string> = new Set<ChatStreamEvent['event']>(['message', 'delta', 'reply', 'error', 'done']);

/** The request options of a chat, for `client.post` of the SDK client (the SDK's own chatSession only streams). */
export function chatRequest(id: string, input: ChatInput, stream: boolean, options: CreateOptions = {}) {
  return {
    security: [{ scheme: 'bearer', type: 'http' }] as const,
    url: '/sessions/{id}/chat',
    path: { id },
    // `stream` last, so that a `stream` key smuggled into the input cannot change how the answer comes.
    body: { ...input, stream },
    headers: {
      'Content-Type': 'application/json',
      ...(stream ? { Accept: 'text/event-stream' } : {}),
      ...(options.idempotencyKey === undefined ? {} : { 'Idempotency-Key': options.idempotencyKey }),
    },
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/**
 * The events of one streamed chat, in the order the server sends them: one `message` (the stored incoming
 * message), `delta`s with the reply's text, then `reply` (the stored reply) or `error`, and `done` last.
 *
 * - The request is sent when iteration starts, and the stream can be iterated once.
 * - A refusal before the stream (404, 422, 402, 503, ...) is thrown as the AlumiaError any other method
 *   throws. A failure the server reports after the stream started (the model stopped part way) is not
 *   thrown: it comes as an `error` event, followed by `done`.
 * - Iteration ends after `done`. `: keep-alive` comments are skipped; events of other names are skipped
 *   too, so a newer server's additions do not break older clients.
 * - Aborting `signal` stops iteration with an AlumiaError `ABORTED` and closes the connection; so does
 *   leaving the loop early (`break`), without an error. The server then stores the partial reply as
 *   `incomplete`.
 * - The stream fails with `TIMEOUT` when nothing at all (not even a keep-alive, which the server sends at
 *   least every 15 s) arrives for the client's `timeoutMs`, and with `NETWORK_ERROR` when the connection
 *   drops or ends before `done`.
 * - Never retried (see the comment at the top of chat-stream.ts); pass `idempotencyKey` to retry it safely
 *   yourself.
 */
export class ChatStream implements AsyncIterable<ChatStreamEvent> {
  #requestId: string | undefined;
  readonly #events: AsyncGenerator<ChatStreamEvent, void, undefined>;

  constructor(t: Transport['stream'], id: string, input: ChatInput, options: CreateOptions = {}) {
    this.#events = readChat(t.client, t.idleTimeoutMs, chatRequest(id, input, true, options), options.signal, (requestId) => {
      this.#requestId = requestId;
    });
  }

  /** The server's request id (`X-Request-Id`) once the answer has begun; quote it when reporting a problem. */
  get requestId(): string | undefined {
    return this.#requestId;
  }

  [Symbol.asyncIterator](): AsyncGenerator<ChatStreamEvent, void, undefined> {
    return this.#events;
  }
}

async function* readChat(
  client: SdkClient,
  idleTimeoutMs: number,
  request: ReturnType<typeof chatRequest>,
  caller: AbortSignal | undefined,
  onRequestId: (id: string | undefined) => void,
): AsyncGenerator<ChatStreamEvent, void, undefined> {
  // One controller for the whole exchange: the caller's signal, the idle timer and an early exit all abort it.
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  caller?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    if (idleTimeoutMs > 0)
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, idleTimeoutMs);
  };
  let target = `POST ${request.url.replace('{id}', request.path.id)}`;
  let requestId: string | undefined;
  const fail = (cause: unknown): AlumiaError => {
    if (timedOut)
      return new AlumiaError({
        code: 'TIMEOUT',
        status: 0,
        message: `${target}: nothing arrived for ${idleTimeoutMs} ms`,
        requestId,
        cause,
      });
    if (caller?.aborted) return new AlumiaError({ code: 'ABORTED', status: 0, message: `${target} was aborted`, requestId, cause });
    if (isAlumiaError(cause)) return cause;
    return new AlumiaError({ code: 'NETWORK_ERROR', status: 0, message: `${target} failed: ${describe(cause)}`, requestId, cause });
  };

  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let finished = false;
  try {
    if (caller?.aborted) throw fail(caller.reason);
    arm();
    let result: Awaited<ReturnType<SdkClient['post']>>;
    try {
      result = await client.post({ ...request, signal: controller.signal, parseAs: 'stream' });
    } catch (error) {
      throw fail(error);
    }
    clearTimeout(timer);
    const { error, request: sent, response } = result as { error?: unknown; request?: Request; response?: Response };
    if (sent) target = `POST ${sent.url}`;
    if (!response) throw fail(error);
    requestId = response.headers.get('X-Request-Id') ?? undefined;
    onRequestId(requestId);
    if (error !== undefined || !response.ok) throw failureOf(error, response);
    const type = response.headers.get('Content-Type') ?? '';
    if (!/^text\/event-stream\b/i.test(type) || !response.body) {
      await response.body?.cancel().catch(() => {});
      throw new AlumiaError({
        code: 'INVALID_RESPONSE',
        status: response.status,
        requestId,
        message: `HTTP ${response.status} answer of type ${type || '(none)'} where an event stream was expected`,
      });
    }

    const parsed: EventSourceMessage[] = [];
    // Comments (`: keep-alive`) have no callback here, so they are dropped; they still reset the idle timer.
    const parser = createParser({ onEvent: (event) => parsed.push(event) });
    const decoder = new TextDecoder();
    reader = response.body.getReader();
    for (;;) {
      for (let next = parsed.shift(); next; next = parsed.shift()) {
        const event = toEvent(next, response.status, requestId);
        if (!event) continue;
        if (caller?.aborted) throw fail(caller.reason);
        yield event;
        if (event.event === 'done') {
          finished = true;
          return;
        }
        if (caller?.aborted) throw fail(caller.reason);
      }
      arm();
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw fail(error);
      }
      // The limit is on the server's silence only, never on the time the caller takes over an event. Nor may
      // the connection be aborted while the caller holds an event: with Node 20's fetch, a read after an
      // abort never settles when the whole body had already arrived (cancel() does settle).
      clearTimeout(timer);
      if (chunk.done) {
        parser.feed(decoder.decode());
        if (parsed.length) continue;
        throw new AlumiaError({
          code: 'NETWORK_ERROR',
          status: 0,
          requestId,
          message: `${target}: the stream ended before its done event`,
        });
      }
      parser.feed(decoder.decode(chunk.value, { stream: true }));
    }
  } finally {
    clearTimeout(timer);
    caller?.removeEventListener('abort', onAbort);
    // Leaving early (abort, break, failure) closes the connection, which tells the server to stop the model.
    if (!finished) controller.abort();
    await reader?.cancel().catch(() => {});
  }
}

/** A parsed SSE message as a typed event; undefined for event names this client does not know. */
function toEvent(message: EventSourceMessage, status: number, requestId: string | undefined): ChatStreamEvent | undefined {
  const name = message.event ?? 'message';
  if (!EVENTS.has(name)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch (cause) {
    throw new AlumiaError({ code: 'INVALID_RESPONSE', status, requestId, cause, message: `The data of a ${name} event is not JSON` });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new AlumiaError({ code: 'INVALID_RESPONSE', status, requestId, message: `The data of a ${name} event is not a JSON object` });
  return { event: name, data } as ChatStreamEvent;
}
