import { useEffect, useState } from 'preact/hooks';
import type { Webhook, WebhookWithSecret } from '@alumia/client';
import { client, failureOf, fieldErrors, formatTime, splitList, type Failure } from '../api.js';
import { ConfirmButton, Field, FormError, Loading, Page } from '../components.js';
import { Link, navigate } from '../router.js';
import { useStepUp } from '../step-up.js';
import { WebhookDeliveries } from './webhook-deliveries.js';
import { EVENTS_HINT, NewSecret, webhookState } from './webhooks.js';

/** One endpoint: its settings, enable/disable, secret rotation, deletion, and its delivery log. */
export function WebhookPage({ id }: { id: string }) {
  const guard = useStepUp();
  const [hook, setHook] = useState<Webhook | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  // The rotated secret lives only here, in memory, like the one shown at creation.
  const [rotated, setRotated] = useState<WebhookWithSecret | null>(null);
  useEffect(() => {
    client.webhooks
      .get(id)
      .then(setHook)
      .catch((e: unknown) => setError(failureOf(e).message));
  }, [id]);
  if (error) return <Page title="Webhook">{<FormError message={error} />}</Page>;
  if (!hook) return <Page title="Webhook">{<Loading what="the endpoint" />}</Page>;

  const run = async (call: () => Promise<Webhook>) => {
    setBusy(true);
    setActionError(undefined);
    try {
      setHook(await guard(call));
    } catch (e) {
      setActionError(failureOf(e).message);
    } finally {
      setBusy(false);
    }
  };
  const rotate = () =>
    run(async () => {
      const w = await client.webhooks.rotateSecret(hook.id);
      setRotated(w);
      return w;
    });

  return (
    <Page title={`Webhook ${hook.url}`}>
      <p>
        <Link to="/webhooks">All webhooks</Link>
      </p>
      <dl class="plain">
        <dt>State</dt>
        <dd data-testid="webhook-state">{webhookState(hook)}</dd>
        <dt>Created</dt>
        <dd>{formatTime(hook.createdAt)}</dd>
        <dt>Secret rotated</dt>
        <dd>{formatTime(hook.secretRotatedAt)}</dd>
        {hook.previousSecretExpiresAt && Date.parse(hook.previousSecretExpiresAt) > Date.now() && (
          <>
            <dt>Previous secret signs too until</dt>
            <dd>{formatTime(hook.previousSecretExpiresAt)}</dd>
          </>
        )}
      </dl>
      <div class="actions">
        <button type="button" disabled={busy} onClick={() => void run(() => client.webhooks.update(hook.id, { enabled: !hook.enabled }))}>
          {hook.enabled ? 'Disable endpoint' : 'Enable endpoint'}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => void rotate()}>
          Rotate secret
        </button>
        <ConfirmButton
          label="Delete endpoint"
          confirm={`Yes, delete ${hook.url}`}
          busyLabel="Deleting…"
          onConfirm={async () => {
            await guard(() => client.webhooks.delete(hook.id));
            navigate('/webhooks');
          }}
        />
        {actionError && (
          <span class="error" role="alert">
            {actionError}
          </span>
        )}
      </div>
      {rotated && <NewSecret hook={rotated} onDismiss={() => setRotated(null)} />}
      <EditWebhook key={hook.updatedAt} hook={hook} onSaved={setHook} />
      <WebhookDeliveries hook={hook} />
    </Page>
  );
}

function EditWebhook({ hook, onSaved }: { hook: Webhook; onSaved: (w: Webhook) => void }) {
  const guard = useStepUp();
  const [url, setUrl] = useState(hook.url);
  const [events, setEvents] = useState(hook.events.join(', '));
  const [description, setDescription] = useState(hook.description);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['url', 'events', 'description']);
  const submit = async (e: Event) => {
    e.preventDefault();
    const changes: { url?: string; events?: string[]; description?: string } = {};
    if (url.trim() !== hook.url) changes.url = url.trim();
    if (splitList(events).join(',') !== hook.events.join(',')) changes.events = splitList(events);
    if (description.trim() !== hook.description) changes.description = description.trim();
    if (Object.keys(changes).length === 0) return;
    setBusy(true);
    setFailure(null);
    try {
      onSaved(await guard(() => client.webhooks.update(hook.id, changes)));
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="edit-webhook-title">
      <h2 id="edit-webhook-title">Settings</h2>
      <Field label="Endpoint URL" name="url" type="url" required value={url} onValue={setUrl} error={byField.url} />
      <Field label="Events" name="events" required value={events} onValue={setEvents} error={byField.events} hint={EVENTS_HINT} />
      <Field label="Description" name="description" value={description} onValue={setDescription} error={byField.description} />
      <FormError message={failure && Object.keys(byField).length === 0 ? failure.message : undefined} rest={rest} />
      <button type="submit" disabled={busy}>
        {busy ? 'Saving…' : 'Save settings'}
      </button>
    </form>
  );
}
