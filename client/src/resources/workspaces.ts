import * as sdk from '../../../generated/sdk/index.js';
import { base, type CallOptions, type Transport, unwrap } from '../call.js';
import type { DataOf } from '../types.js';

export class Workspaces {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** The workspaces the caller can see (not paginated). */
  list(options?: CallOptions): Promise<DataOf<sdk.ListWorkspacesResponse>> {
    return unwrap(sdk.listWorkspaces(base(this.#t, options)));
  }

  get(id: string, options?: CallOptions): Promise<DataOf<sdk.GetWorkspaceResponse>> {
    return unwrap(sdk.getWorkspace({ ...base(this.#t, options), path: { id } }));
  }
}
