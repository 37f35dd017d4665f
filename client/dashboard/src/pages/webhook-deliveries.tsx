import { useState } from 'preact/hooks';
import type { Webhook, WebhookAttempt, WebhookDelivery } from '@alumia/client';
import { client, failureOf, formatTime } from '../api.js';
import { Empty, FormError, Loading, Select, Table } from '../components.js';
import { usePagedList } from '../paged-list.js';

type Status = WebhookDelivery['status'];
const FILTERS = [
  ['', 'Every delivery'],
  ['pending', 'Pending'],
  ['succeeded', 'Succeeded'],
  ['failed', 'Failed'],
] as const;

/** The delivery log: a filter and a refresh button above the list (a new filter or refresh reads it again). */
export function WebhookDeliveries({ hook }: { hook: Webhook }) {
  const [status, setStatus] = useState('');
  const [round, setRound] = useState(0);
  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Delivery log</h2>
      <p class="hint">
        The last 30 days. Every attempt of a delivery carries the same <code>webhook-id</code> (the delivery&rsquo;s id): receivers
        deduplicate on it.
      </p>
      <div class="actions">
        <Select label="Show" name="status" value={status} onValue={setStatus} options={FILTERS} />
        <button type="button" class="secondary" onClick={() => setRound((r) => r + 1)}>
          Refresh
        </button>
      </div>
      <DeliveryList
        key={`${status}:${round}`}
        hook={hook}
        status={(status || undefined) as Status | undefined}
        onRetried={() => setRound((r) => r + 1)}
      />
    </section>
  );
}

function DeliveryList({ hook, status, onRetried }: { hook: Webhook; status: Status | undefined; onRetried: () => void }) {
  const { items, error, more } = usePagedList((p) => client.webhooks.deliveriesPage(hook.id, { ...p, ...(status ? { status } : {}) }));
  if (error) return <FormError message={error} />;
  if (!items) return <Loading what="deliveries" />;
  if (items.length === 0)
    return (
      <Empty>
        {status ? `No ${status} deliveries.` : 'No deliveries yet: they appear here as activity of the subscribed kinds happens.'}
      </Empty>
    );
  return (
    <>
      <Table caption="Deliveries" columns={['Event', 'Status', 'Attempts', 'Next attempt', 'Created']} actions>
        {items.map((d) => (
          <DeliveryRow key={d.id} delivery={d} enabled={hook.enabled} onRetried={onRetried} />
        ))}
      </Table>
      {more('Show older deliveries')}
    </>
  );
}

const outcome = (a: WebhookAttempt) => (a.statusCode !== null ? `HTTP ${a.statusCode}` : (a.error ?? 'no answer'));

function DeliveryRow({ delivery: d, enabled, onRetried }: { delivery: WebhookDelivery; enabled: boolean; onRetried: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const retry = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await client.webhooks.retry(d.webhookId, d.id);
      onRetried();
    } catch (e) {
      setError(failureOf(e).message);
      setBusy(false);
    }
  };
  return (
    <tr data-testid="delivery">
      <td>
        <code>{d.eventType}</code>
        <details>
          <summary>
            Attempts of <span class="visually-hidden">delivery</span> <code>{d.id}</code>
          </summary>
          {d.attempts.length === 0 ? (
            <p class="empty">No attempt yet.</p>
          ) : (
            <ol>
              {d.attempts.map((a) => (
                <li key={a.at}>
                  {formatTime(a.at)}: {outcome(a)} in {a.latencyMs} ms
                  {a.responseBody && <pre>{a.responseBody}</pre>}
                </li>
              ))}
            </ol>
          )}
        </details>
      </td>
      <td>{d.status}</td>
      <td>{d.attemptCount}</td>
      <td>{formatTime(d.nextAttemptAt)}</td>
      <td>{formatTime(d.createdAt)}</td>
      <td>
        <button
          type="button"
          class="secondary"
          disabled={busy || !enabled}
          title={enabled ? undefined : 'Enable the endpoint to retry'}
          aria-label={`Retry delivery ${d.id}`}
          onClick={() => void retry()}
        >
          {busy ? 'Queuing…' : 'Retry'}
        </button>
        {error && (
          <span class="error" role="alert">
            {error}
          </span>
        )}
      </td>
    </tr>
  );
}
