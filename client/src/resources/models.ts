import * as sdk from '../../../generated/sdk/index.js';
import { base, type CallOptions, type Transport, unwrap } from '../call.js';
import type { DataOf } from '../types.js';

export class Models {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** The model catalog (not paginated). */
  list(options?: CallOptions): Promise<DataOf<sdk.ListModelsResponse>> {
    return unwrap(sdk.listModels(base(this.#t, options)));
  }
}
