import type {
  CreateWebhookData,
  CreateWebhookResponse,
  DeleteWebhookData,
  DeleteWebhookResponse,
  GetActivityData,
  GetActivityResponse,
  GetWebhookData,
  GetWebhookResponse,
  ListWebhookDeliveriesData,
  ListWebhookDeliveriesResponse,
  ListWebhooksData,
  ListWebhooksResponse,
  RetryWebhookDeliveryData,
  RetryWebhookDeliveryResponse,
  RotateWebhookSecretData,
  RotateWebhookSecretResponse,
  UpdateWebhookData,
  UpdateWebhookResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle, type Operations } from './handler.js';

// Webhooks (issue 15): the endpoints' management (browser-only in the contract, so the browser-only plugin
// has refused every API key before create, update, delete and rotate run), their delivery log and retry, and
// one activity row by id (what an oversized delivery refers to).
export function webhookOperations({ webhooks, webhookLog, missionControl }: DataLayer): Operations {
  return {
    createWebhook: handle<CreateWebhookData, CreateWebhookResponse>(201, ({ caller, body }) => webhooks.create(caller, body)),
    listWebhooks: handle<ListWebhooksData, ListWebhooksResponse>(200, ({ caller, query }) => webhooks.list(caller, query)),
    getWebhook: handle<GetWebhookData, GetWebhookResponse>(200, ({ caller, path }) => webhooks.get(caller, path.id)),
    updateWebhook: handle<UpdateWebhookData, UpdateWebhookResponse>(200, ({ caller, path, body }) =>
      webhooks.update(caller, path.id, body),
    ),
    deleteWebhook: handle<DeleteWebhookData, DeleteWebhookResponse>(200, ({ caller, path }) => webhooks.delete(caller, path.id)),
    rotateWebhookSecret: handle<RotateWebhookSecretData, RotateWebhookSecretResponse>(200, ({ caller, path }) =>
      webhooks.rotateSecret(caller, path.id),
    ),
    listWebhookDeliveries: handle<ListWebhookDeliveriesData, ListWebhookDeliveriesResponse>(200, ({ caller, path, query }) =>
      webhookLog.deliveries(caller, path.id, query),
    ),
    retryWebhookDelivery: handle<RetryWebhookDeliveryData, RetryWebhookDeliveryResponse>(202, ({ caller, path }) =>
      webhookLog.retry(caller, path.id, path.deliveryId),
    ),
    getActivity: handle<GetActivityData, GetActivityResponse>(200, ({ caller, path }) => missionControl.activityRow(caller, path.id)),
  };
}
