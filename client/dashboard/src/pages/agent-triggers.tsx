import { useEffect, useState } from 'preact/hooks';
import type { Agent, AgentTrigger, AgentTriggerCreated } from '@alumia/client';
import { client, failureOf, fieldErrors, formatTime, type Failure } from '../api.js';
import { ConfirmButton, Empty, Field, FormError, Loading, ShownOnce, Table } from '../components.js';
import { useStepUp } from '../step-up.js';

/**
 * The agent's trigger URLs: anything that POSTs JSON (at most 256 KB) to one starts a chat turn with the
 * agent. Creating and revoking are browser-only, so both go through the step-up guard.
 */
export function AgentTriggers({ agent }: { agent: Agent }) {
  const [triggers, setTriggers] = useState<AgentTrigger[] | null>(null);
  const [error, setError] = useState<string | undefined>();
  // The URL, token and secret live only here, in memory, until dismissed or the page is left.
  const [created, setCreated] = useState<AgentTriggerCreated | null>(null);
  const guard = useStepUp();
  const load = () =>
    client.agents.triggers
      .list(agent.id)
      .then((r) => setTriggers(r.items))
      .catch((e: unknown) => setError(failureOf(e).message));
  useEffect(() => void load(), [agent.id]);
  return (
    <section aria-labelledby="triggers-title">
      <h2 id="triggers-title">Trigger URLs</h2>
      <p>A POST of JSON (at most 256 KB) to a trigger URL starts a chat turn with {agent.name}, the body given as the message.</p>
      <NewTrigger
        agent={agent}
        onCreated={(t) => {
          setCreated(t);
          void load();
        }}
      />
      {created && <NewTriggerShown created={created} onDismiss={() => setCreated(null)} />}
      {error ? (
        <FormError message={error} />
      ) : !triggers ? (
        <Loading what="trigger URLs" />
      ) : triggers.length === 0 ? (
        <Empty>No trigger URLs yet.</Empty>
      ) : (
        <Table caption="Trigger URLs" columns={['Description', 'Signed requests', 'Created', 'Last used']} actions>
          {triggers.map((t) => (
            <tr key={t.id} data-testid="trigger">
              <td>{t.description || '—'}</td>
              <td>{t.verifiesSignatures ? 'required' : 'not checked'}</td>
              <td>{formatTime(t.createdAt)}</td>
              <td>{formatTime(t.lastUsedAt)}</td>
              <td>
                <ConfirmButton
                  label="Revoke"
                  confirm={`Yes, revoke ${t.description || 'this trigger'}`}
                  busyLabel="Revoking…"
                  onConfirm={async () => {
                    await guard(() => client.agents.triggers.revoke(agent.id, t.id));
                    await load();
                  }}
                />
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

function NewTrigger({ agent, onCreated }: { agent: Agent; onCreated: (t: AgentTriggerCreated) => void }) {
  const guard = useStepUp();
  const [description, setDescription] = useState('');
  const [verify, setVerify] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['description', 'verifySignatures']);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const body = { ...(description.trim() ? { description: description.trim() } : {}), verifySignatures: verify };
      onCreated(await guard(() => client.agents.triggers.create(agent.id, body)));
      setDescription('');
      setVerify(false);
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="new-trigger-title">
      <h3 id="new-trigger-title">New trigger URL</h3>
      <Field label="Trigger label (optional)" name="description" value={description} onValue={setDescription} error={byField.description} />
      <div class="field checkbox">
        <input id="trigger-verify" type="checkbox" checked={verify} onChange={(e) => setVerify(e.currentTarget.checked)} />
        <label for="trigger-verify">Require Standard Webhooks signatures</label>
        {byField.verifySignatures && (
          <span class="error" role="alert">
            {byField.verifySignatures}
          </span>
        )}
      </div>
      <FormError message={failure && Object.keys(byField).length === 0 ? failure.message : undefined} rest={rest} />
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create trigger URL'}
      </button>
    </form>
  );
}

function NewTriggerShown({ created, onDismiss }: { created: AgentTriggerCreated; onDismiss: () => void }) {
  return (
    <div data-testid="new-trigger">
      <ShownOnce
        title="Your new trigger URL"
        label="Trigger URL"
        value={created.url}
        note="Copy it now: it is shown only this once. Its last part is the token; anyone holding it can start this agent."
        onDismiss={onDismiss}
      />
      <p>
        Its token: <code data-testid="trigger-token">{created.token}</code>
      </p>
      <p>Try it:</p>
      <pre>{`curl -X POST ${created.url} \\\n  -H 'Content-Type: application/json' \\\n  -d '{"text":"Hello"}'`}</pre>
      {created.secret && (
        <ShownOnce
          title="Its signing secret"
          label="Trigger signing secret"
          value={created.secret}
          note="Requests must be signed with this secret (Standard Webhooks); it is shown only this once."
          onDismiss={onDismiss}
        />
      )}
    </div>
  );
}
