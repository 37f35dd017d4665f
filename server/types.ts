import type { OperationInfo } from './contract.js';
import type { Caller } from './data/caller.js';
import type { SseEvent } from './sse.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The sanitized request id, echoed in X-Request-Id and in every error body. */
      id: string;
      /** The contract operation this request addresses; set on every request past the operation plugin. */
      operation?: OperationInfo;
      /** The operation's path parameters, decoded by the same match that found the operation. */
      operationParams?: Record<string, string>;
      /** Set by the auth plugin: always on an operation that needs a key, on a public one when a key was sent. */
      caller?: Caller;
    }
    interface Locals {
      /** Set by the idempotency plugin: stores a streamed answer (its events) for replay. */
      recordStream?: (events: SseEvent[]) => Promise<void>;
    }
  }
}

export {};
