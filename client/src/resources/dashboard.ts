import * as sdk from '../../../generated/sdk/index.js';
import { base, type CallOptions, type Transport, unwrap } from '../call.js';
import type { DataOf } from '../types.js';

export class Dashboard {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Counts and recent agents of the caller's organization and current workspace. */
  overview(options?: CallOptions): Promise<DataOf<sdk.GetDashboardOverviewResponse>> {
    return unwrap(sdk.getDashboardOverview(base(this.#t, options)));
  }
}
