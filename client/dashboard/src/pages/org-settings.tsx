import { useEffect, useState } from 'preact/hooks';
import type { Model } from '@alumia/client';
import { client, failureOf, fieldErrors, type Failure } from '../api.js';
import { Field, FormError, Loading, Page, Select } from '../components.js';
import { orgApi, type Org } from '../more-api.js';
import { useStepUp } from '../step-up.js';

/** The organization's name and the model new agents get; saving is browser-only (step-up). */
export function OrgSettingsPage() {
  const guard = useStepUp();
  const [org, setOrg] = useState<Org | null>(null);
  const [models, setModels] = useState<Model[]>([]);
  const [name, setName] = useState('');
  const [model, setModel] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [failure, setFailure] = useState<Failure | null>(null);
  const [saved, setSaved] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['name', 'defaultModel']);
  useEffect(() => {
    orgApi
      .get()
      .then((o) => {
        setOrg(o);
        setName(o.name);
        setModel(o.defaultModel ?? '');
      })
      .catch((e: unknown) => setError(failureOf(e).message));
    client.models
      .list()
      .then((m) => setModels(m.items))
      .catch(() => setModels([]));
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!org) return;
    setBusy(true);
    setFailure(null);
    setSaved(undefined);
    try {
      const changes = {
        ...(name.trim() !== org.name ? { name: name.trim() } : {}),
        ...((model || null) !== org.defaultModel ? { defaultModel: model || null } : {}),
      };
      if (Object.keys(changes).length === 0) {
        setSaved('Nothing to save.');
        return;
      }
      setOrg(await guard(() => orgApi.update(changes)));
      setSaved('Saved.');
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  if (error) return <Page title="Organization settings">{<FormError message={error} />}</Page>;
  if (!org) return <Page title="Organization settings">{<Loading what="the organization" />}</Page>;
  const fallback = models.find((m) => m.isDefault);
  const options: Array<readonly [string, string]> = [
    ['', `The server's default${fallback ? ` (${fallback.name})` : ''}`],
    ...models.map((m) => [m.id, `${m.name} (${m.provider}${m.available ? '' : ', not configured'})`] as const),
  ];
  return (
    <Page title="Organization settings">
      <form class="panel" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="page-title">
        <p class="hint">
          Slug <code>{org.slug}</code> (used to sign in)
        </p>
        <Field label="Organization name" name="name" required value={name} onValue={setName} error={byField.name} />
        <Select
          label="Default model for new agents"
          name="defaultModel"
          value={model}
          onValue={setModel}
          options={options}
          error={byField.defaultModel}
        />
        <FormError message={failure && Object.keys(byField).length === 0 ? failure.message : undefined} rest={rest} />
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save settings'}
        </button>
        <span role="status">{saved}</span>
      </form>
    </Page>
  );
}
