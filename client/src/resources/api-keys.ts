import * as sdk from '../../../generated/sdk/index.js';
import { base, idempotency, type CallOptions, type CreateOptions, type Transport, unwrap } from '../call.js';
import { PageIterator, type PageParams } from '../pagination.js';
import type { ApiKey, CreateApiKeyInput, DataOf } from '../types.js';

export class ApiKeys {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Every key the caller may see, revoked and expired ones included, following pages as you iterate. */
  list(params: PageParams = {}, options?: CallOptions): PageIterator<ApiKey> {
    return new PageIterator((p) => this.listPage(p, options), params);
  }

  listPage(params: PageParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListApiKeysResponse>> {
    return unwrap(sdk.listApiKeys({ ...base(this.#t, options), query: params }));
  }

  /** Mints a key; the answer's `key` is the secret, shown this once. */
  create(body: CreateApiKeyInput, options?: CreateOptions): Promise<DataOf<sdk.CreateApiKeyResponse>> {
    return unwrap(sdk.createApiKey({ ...base(this.#t, options), ...idempotency(options), body }));
  }

  /**
   * Revokes a key by id. Revoking a revoked key throws CONFLICT; so may a retry whose first attempt revoked
   * the key but lost its answer on the network.
   */
  revoke(id: string, options?: CallOptions): Promise<DataOf<sdk.RevokeApiKeyResponse>> {
    return unwrap(sdk.revokeApiKey({ ...base(this.#t, options), path: { id } }));
  }
}
