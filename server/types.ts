import type { OperationInfo } from './contract.js';
import type { Caller } from './data/caller.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The sanitized request id, echoed in X-Request-Id and in every error body. */
      id: string;
      /** The contract operation this request addresses, when it addresses one. */
      operation?: OperationInfo;
      /** Set by the auth plugin on every operation that needs a key. */
      caller?: Caller;
    }
  }
}

export {};
