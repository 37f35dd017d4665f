import * as sdk from '../../../generated/sdk/index.js';
import { base, idempotency, type CallOptions, type CreateOptions, type Transport, unwrap } from '../call.js';
import { PageIterator, type PageParams } from '../pagination.js';
import type { CreateWebhookInput, DataOf, UpdateWebhookInput, Webhook, WebhookDelivery, WebhookDeliveryParams } from '../types.js';

/**
 * The organization's webhook endpoints (owners and admins). Reading, the delivery log and `retry` work with
 * a key (`webhooks:read`, `webhooks:write`); `create`, `update`, `delete` and `rotateSecret` are
 * browser-only (a dashboard session with step-up): an API key gets FORBIDDEN.
 */
export class Webhooks {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Every endpoint, newest first, following pages as you iterate. Never the secrets. */
  list(params: PageParams = {}, options?: CallOptions): PageIterator<Webhook> {
    return new PageIterator((p) => this.listPage(p, options), params);
  }

  listPage(params: PageParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListWebhooksResponse>> {
    return unwrap(sdk.listWebhooks({ ...base(this.#t, options), query: params }));
  }

  get(id: string, options?: CallOptions): Promise<DataOf<sdk.GetWebhookResponse>> {
    return unwrap(sdk.getWebhook({ ...base(this.#t, options), path: { id } }));
  }

  /** Registers an endpoint; the answer's `secret` (`whsec_...`) signs its deliveries and is shown this once. */
  create(body: CreateWebhookInput, options?: CreateOptions): Promise<DataOf<sdk.CreateWebhookResponse>> {
    return unwrap(sdk.createWebhook({ ...base(this.#t, options), ...idempotency(options), body }));
  }

  /** Changes any of `url`, `events`, `description` and `enabled`; enabling clears the failure streak. */
  update(id: string, changes: UpdateWebhookInput, options?: CallOptions): Promise<DataOf<sdk.UpdateWebhookResponse>> {
    return unwrap(sdk.updateWebhook({ ...base(this.#t, options), path: { id }, body: changes }));
  }

  /** Deletes the endpoint; its pending deliveries are not sent. Deleting it again answers the same. */
  delete(id: string, options?: CallOptions): Promise<DataOf<sdk.DeleteWebhookResponse>> {
    return unwrap(sdk.deleteWebhook({ ...base(this.#t, options), path: { id } }));
  }

  /** A new signing secret, shown this once; the old one keeps signing alongside it for 24 hours. */
  rotateSecret(id: string, options?: CreateOptions): Promise<DataOf<sdk.RotateWebhookSecretResponse>> {
    return unwrap(sdk.rotateWebhookSecret({ ...base(this.#t, options), ...idempotency(options), path: { id } }));
  }

  /** The endpoint's deliveries of the last 30 days with their attempts, newest first, following pages. */
  deliveries(id: string, params: WebhookDeliveryParams = {}, options?: CallOptions): PageIterator<WebhookDelivery> {
    const { status, ...page } = params;
    return new PageIterator((p) => this.deliveriesPage(id, { ...p, ...(status ? { status } : {}) }, options), page);
  }

  deliveriesPage(
    id: string,
    params: WebhookDeliveryParams = {},
    options?: CallOptions,
  ): Promise<DataOf<sdk.ListWebhookDeliveriesResponse>> {
    return unwrap(sdk.listWebhookDeliveries({ ...base(this.#t, options), path: { id }, query: params }));
  }

  /** Queues one more attempt now, same `webhook-id`; the endpoint must be enabled (CONFLICT otherwise). */
  retry(id: string, deliveryId: string, options?: CreateOptions): Promise<DataOf<sdk.RetryWebhookDeliveryResponse>> {
    return unwrap(sdk.retryWebhookDelivery({ ...base(this.#t, options), ...idempotency(options), path: { id, deliveryId } }));
  }
}
