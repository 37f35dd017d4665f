import * as sdk from '../../../generated/sdk/index.js';
import { base, type CallOptions, type Transport, unwrap } from '../call.js';
import type { DataOf, UsageParams } from '../types.js';

/** The organization's credits (needs the `billing:read` scope). */
export class Billing {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** The credit balance: every grant minus every debit. It may be below zero after concurrent chats. */
  credits(options?: CallOptions): Promise<DataOf<sdk.GetCreditsResponse>> {
    return unwrap(sdk.getCredits(base(this.#t, options)));
  }

  /**
   * Tokens and credits of the replies created in `[from, to)` (ISO 8601; default the last 30 days), grouped
   * by UTC `day` (the default), `model` or answering `agent`, with the total.
   */
  usage(params: UsageParams = {}, options?: CallOptions): Promise<DataOf<sdk.GetUsageResponse>> {
    return unwrap(sdk.getUsage({ ...base(this.#t, options), query: params }));
  }
}
