import { useEffect, useState } from 'preact/hooks';
import type { Webhook, WebhookWithSecret } from '@alumia/client';
import { client, failureOf, fieldErrors, formatTime, splitList, type Failure } from '../api.js';
import { Empty, Field, FormError, Loading, Page, ShownOnce, Table } from '../components.js';
import { Link } from '../router.js';
import { useStepUp } from '../step-up.js';

/** How an endpoint's state reads in a list or a heading. */
export const webhookState = (w: Webhook): string =>
  w.enabled
    ? 'enabled'
    : w.disabledReason === 'gone'
      ? `disabled: it answered 410 Gone (${formatTime(w.disabledAt)})`
      : w.disabledReason === 'failing'
        ? `disabled: failing for 5 days (${formatTime(w.disabledAt)})`
        : `disabled (${formatTime(w.disabledAt)})`;

/** The signing secret, shown once: only in this page's memory, gone when dismissed or when the page is left. */
export function NewSecret({ hook, onDismiss }: { hook: WebhookWithSecret; onDismiss: () => void }) {
  return (
    <ShownOnce
      title={`Signing secret for ${hook.url}`}
      label="Signing secret"
      value={hook.secret}
      note="Copy it now: it is shown only this once. Your receiver verifies every delivery with it (see the README's Webhooks section)."
      onDismiss={onDismiss}
    />
  );
}

/** Webhooks: the organization's endpoints. Creating one is browser-only, so it goes through the step-up guard. */
export function WebhooksPage() {
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [created, setCreated] = useState<WebhookWithSecret | null>(null);
  const load = () =>
    client.webhooks
      .listPage({ limit: 100 })
      .then((p) => setHooks(p.items))
      .catch((e: unknown) => setError(failureOf(e).message));
  useEffect(() => void load(), []);
  return (
    <Page title="Webhooks">
      <p>
        Each endpoint receives the organization&rsquo;s activity of the kinds it subscribes to, as signed POST requests (Standard Webhooks),
        at least once and in no guaranteed order.
      </p>
      <NewWebhook
        onCreated={(w) => {
          setCreated(w);
          void load();
        }}
      />
      {created && <NewSecret hook={created} onDismiss={() => setCreated(null)} />}
      <h2>Endpoints</h2>
      {error ? (
        <FormError message={error} />
      ) : !hooks ? (
        <Loading what="webhook endpoints" />
      ) : hooks.length === 0 ? (
        <Empty>No webhook endpoints yet. Add one above to receive the organization&rsquo;s activity.</Empty>
      ) : (
        <Table caption="Webhook endpoints" columns={['URL', 'Description', 'Events', 'State', 'Created']}>
          {hooks.map((w) => (
            <tr key={w.id}>
              <td>
                <Link to={`/webhooks/${w.id}`}>{w.url}</Link>
              </td>
              <td>{w.description || '—'}</td>
              <td>
                <code>{w.events.join(', ')}</code>
              </td>
              <td>{webhookState(w)}</td>
              <td>{formatTime(w.createdAt)}</td>
            </tr>
          ))}
        </Table>
      )}
    </Page>
  );
}

export const EVENTS_HINT = 'Kinds of activity, separated by commas: agent.created, every kind of a subject (agent.*), or * for all.';

function NewWebhook({ onCreated }: { onCreated: (w: WebhookWithSecret) => void }) {
  const guard = useStepUp();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('*');
  const [description, setDescription] = useState('');
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['url', 'events', 'description']);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const body = { url: url.trim(), events: splitList(events), ...(description.trim() ? { description: description.trim() } : {}) };
      onCreated(await guard(() => client.webhooks.create(body)));
      setUrl('');
      setEvents('*');
      setDescription('');
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="new-webhook-title">
      <h2 id="new-webhook-title">Add an endpoint</h2>
      <Field
        label="Endpoint URL"
        name="url"
        type="url"
        required
        placeholder="https://hooks.example.com/alumia"
        value={url}
        onValue={setUrl}
        error={byField.url}
        hint="https in production; its host must resolve to public addresses."
      />
      <Field label="Events" name="events" required value={events} onValue={setEvents} error={byField.events} hint={EVENTS_HINT} />
      <Field label="Description (optional)" name="description" value={description} onValue={setDescription} error={byField.description} />
      <FormError message={failure && Object.keys(byField).length === 0 ? failure.message : undefined} rest={rest} />
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create endpoint'}
      </button>
    </form>
  );
}
