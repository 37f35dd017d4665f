import { useEffect, useState } from 'preact/hooks';
import type { Agent, CreateAgentInput, Model, UpdateAgentInput } from '@alumia/client';
import { client, failureOf, fieldErrors, splitList, type Failure } from '../api.js';
import { Field, FormError, Loading, Page, TextArea } from '../components.js';
import { Link, navigate } from '../router.js';
import { useStepUp } from '../step-up.js';
import { AgentTriggers } from './agent-triggers.js';

interface Values {
  name: string;
  slug: string;
  description: string;
  model: string;
  systemPrompt: string;
  allowedTools: string;
  allowedPeers: string;
  allowedConnectors: string;
  isActive: boolean;
}
const FIELDS = ['name', 'slug', 'description', 'model', 'systemPrompt', 'allowedTools', 'allowedPeers', 'allowedConnectors', 'isActive'];
const LISTS = ['allowedTools', 'allowedPeers', 'allowedConnectors'] as const;
const TEXTS = ['name', 'slug', 'description', 'model', 'systemPrompt'] as const;

const EMPTY: Values = {
  name: '',
  slug: '',
  description: '',
  model: '',
  systemPrompt: '',
  allowedTools: '',
  allowedPeers: '',
  allowedConnectors: '',
  isActive: true,
};
const valuesOf = (a: Agent): Values => ({
  name: a.name,
  slug: a.slug,
  description: a.description ?? '',
  model: a.model,
  systemPrompt: a.systemPrompt ?? '',
  allowedTools: a.allowedTools.join(', '),
  allowedPeers: a.allowedPeers.join(', '),
  allowedConnectors: a.allowedConnectors.join(', '),
  isActive: a.isActive,
});

/**
 * Only what changed is sent: the tool, peer and connector lists are browser-only fields that need step-up
 * whenever they are present, so an unrelated edit must not carry them.
 */
function changes(before: Values, after: Values): UpdateAgentInput {
  const out: Record<string, unknown> = {};
  for (const k of TEXTS) {
    if (after[k].trim() === before[k].trim()) continue;
    out[k] = (k === 'description' || k === 'systemPrompt') && after[k].trim() === '' ? null : after[k].trim();
  }
  for (const k of LISTS) if (splitList(after[k]).join(',') !== splitList(before[k]).join(',')) out[k] = splitList(after[k]);
  if (after.isActive !== before.isActive) out.isActive = after.isActive;
  return out;
}

function creation(v: Values): CreateAgentInput {
  const body: Record<string, unknown> = { name: v.name.trim() };
  if (v.description.trim()) body.description = v.description.trim();
  if (v.model.trim()) body.model = v.model.trim();
  if (v.systemPrompt.trim()) body.systemPrompt = v.systemPrompt.trim();
  for (const k of LISTS) if (splitList(v[k]).length > 0) body[k] = splitList(v[k]);
  return body as CreateAgentInput;
}

export function AgentNewPage() {
  return (
    <Page title="New agent">
      <AgentForm
        initial={EMPTY}
        submitLabel="Create agent"
        save={(v) => client.agents.create(creation(v))}
        onSaved={() => navigate('/agents')}
      />
    </Page>
  );
}

export function AgentEditPage({ id }: { id: string }) {
  const [agent, setAgent] = useState<Agent | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    client.agents
      .get(id)
      .then(setAgent)
      .catch((e: unknown) => setError(failureOf(e).message));
  }, [id]);
  if (error) return <Page title="Agent">{<FormError message={error} />}</Page>;
  if (!agent) return <Page title="Agent">{<Loading what="the agent" />}</Page>;
  const before = valuesOf(agent);
  return (
    <Page title={`Edit ${agent.name}`}>
      {saved && <p role="status">Saved.</p>}
      <AgentForm
        key={agent.updatedAt}
        initial={before}
        editing
        submitLabel="Save changes"
        save={(v) => {
          setSaved(false);
          return client.agents.update(agent.id, changes(before, v));
        }}
        onSaved={(a) => {
          setAgent(a);
          setSaved(true);
          if (a.slug !== agent.slug) navigate(`/agents/${encodeURIComponent(a.slug)}`, { replace: true });
        }}
      />
      <AgentTriggers agent={agent} />
    </Page>
  );
}

interface FormProps {
  initial: Values;
  editing?: boolean;
  submitLabel: string;
  save: (v: Values) => Promise<Agent>;
  onSaved: (a: Agent) => void;
}

function AgentForm(props: FormProps) {
  const guard = useStepUp();
  const [v, setV] = useState<Values>(props.initial);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const [models, setModels] = useState<Model[]>([]);
  useEffect(() => {
    client.models
      .list()
      .then((m) => setModels(m.items))
      .catch(() => setModels([])); // only suggestions: the field takes any id
  }, []);
  const set = (k: keyof Values) => (value: string) => setV((old) => ({ ...old, [k]: value }));
  const { byField, rest } = fieldErrors(failure, FIELDS);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      props.onSaved(await guard(() => props.save(v)));
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label="Agent">
      <Field label="Name" name="name" required value={v.name} onValue={set('name')} error={byField.name} />
      {props.editing && <Field label="Slug" name="slug" value={v.slug} onValue={set('slug')} error={byField.slug} />}
      <Field label="Description" name="description" value={v.description} onValue={set('description')} error={byField.description} />
      <Field
        label="Model"
        name="model"
        list="models"
        value={v.model}
        onValue={set('model')}
        error={byField.model}
        hint="Empty: the default model."
      />
      <datalist id="models">
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
          </option>
        ))}
      </datalist>
      <TextArea
        label="System prompt"
        name="systemPrompt"
        value={v.systemPrompt}
        onValue={set('systemPrompt')}
        error={byField.systemPrompt}
      />
      <fieldset>
        <legend>Restrictions (changing these asks for your password again)</legend>
        <Field
          label="Allowed tools"
          name="allowedTools"
          value={v.allowedTools}
          onValue={set('allowedTools')}
          error={byField.allowedTools}
          hint="Slugs, separated by commas."
        />
        <Field
          label="Allowed peers"
          name="allowedPeers"
          value={v.allowedPeers}
          onValue={set('allowedPeers')}
          error={byField.allowedPeers}
          hint="Slugs of agents this one may message."
        />
        <Field
          label="Allowed connectors"
          name="allowedConnectors"
          value={v.allowedConnectors}
          onValue={set('allowedConnectors')}
          error={byField.allowedConnectors}
          hint="Slugs, separated by commas."
        />
      </fieldset>
      {props.editing && (
        <div class="field checkbox">
          <input
            id="agent-active"
            type="checkbox"
            checked={v.isActive}
            onChange={(e) => setV((o) => ({ ...o, isActive: e.currentTarget.checked }))}
          />
          <label for="agent-active">Active</label>
          {byField.isActive && (
            <span class="error" role="alert">
              {byField.isActive}
            </span>
          )}
        </div>
      )}
      <FormError message={failure && Object.keys(byField).length === 0 ? failure.message : undefined} rest={rest} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : props.submitLabel}
        </button>
        <Link to="/agents">Back to agents</Link>
      </div>
    </form>
  );
}
