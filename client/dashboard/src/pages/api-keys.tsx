import { useEffect, useState } from 'preact/hooks';
import type { ApiKey, ApiKeyCreated, Scope } from '@alumia/client';
import { client, failureOf, fieldErrors, formatTime, type Failure } from '../api.js';
import { ConfirmButton, Empty, Field, FormError, Loading, Page, ShownOnce, Table } from '../components.js';

const SCOPES: Scope[] = [
  'agents:read',
  'agents:write',
  'sessions:read',
  'sessions:write',
  'projects:read',
  'projects:write',
  'keys:read',
  'keys:write',
  'billing:read',
  'activity:read',
];

const state = (k: ApiKey) =>
  k.revokedAt ? `revoked ${formatTime(k.revokedAt)}` : k.expiresAt && Date.parse(k.expiresAt) < Date.now() ? 'expired' : 'active';

export function ApiKeysPage() {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<string | undefined>();
  // The new secret lives only here, in memory, until the user leaves the page: never in storage or a URL.
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);

  const load = () =>
    client.apiKeys
      .listPage({ limit: 100 })
      .then((p) => setKeys(p.items))
      .catch((e: unknown) => setError(failureOf(e).message));
  useEffect(() => void load(), []);

  return (
    <Page title="API keys">
      <MintForm
        onMinted={(k) => {
          setCreated(k);
          void load();
        }}
      />
      {created && (
        <ShownOnce
          title={`Your new key “${created.name}”`}
          label="Key"
          value={created.key}
          note="Copy it now: it is shown only this once, and the server keeps only its hash."
          onDismiss={() => setCreated(null)}
        />
      )}
      <h2>Keys</h2>
      {error ? (
        <FormError message={error} />
      ) : !keys ? (
        <Loading what="API keys" />
      ) : keys.length === 0 ? (
        <Empty>No API keys yet. Mint one above for a server or a script.</Empty>
      ) : (
        <Table caption="API keys" columns={['Name', 'Prefix', 'Scopes', 'Last used', 'State']} actions>
          {keys.map((k) => (
            <KeyRow key={k.id} apiKey={k} onRevoked={() => void load()} />
          ))}
        </Table>
      )}
    </Page>
  );
}

function KeyRow({ apiKey: k, onRevoked }: { apiKey: ApiKey; onRevoked: () => void }) {
  return (
    <tr>
      <td>{k.name}</td>
      <td>
        <code>{k.prefix}</code>
      </td>
      <td>{k.scopes.join(', ')}</td>
      <td>{formatTime(k.lastUsedAt)}</td>
      <td>{state(k)}</td>
      <td>
        {!k.revokedAt && (
          <ConfirmButton
            label={`Revoke ${k.name}`}
            confirm={`Yes, revoke ${k.name}`}
            onConfirm={async () => {
              await client.apiKeys.revoke(k.id);
              onRevoked();
            }}
          />
        )}
      </td>
    </tr>
  );
}

function MintForm({ onMinted }: { onMinted: (k: ApiKeyCreated) => void }) {
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [scopes, setScopes] = useState<Scope[]>([]);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['name', 'expiresAt', 'scopes']);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const body = {
        name: name.trim(),
        ...(expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}),
        ...(scopes.length > 0 ? { scopes } : {}),
      };
      onMinted(await client.apiKeys.create(body));
      setName('');
      setExpires('');
      setScopes([]);
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  const toggle = (s: Scope, on: boolean) => setScopes((old) => (on ? [...old, s] : old.filter((x) => x !== s)));
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="mint-title" class="panel">
      <h2 id="mint-title">Mint a key</h2>
      <Field label="Key name" name="name" required value={name} onValue={setName} error={byField.name} />
      <Field label="Expires on (optional)" name="expiresAt" type="date" value={expires} onValue={setExpires} error={byField.expiresAt} />
      <fieldset>
        <legend>Scopes (none ticked: every scope)</legend>
        {SCOPES.map((s) => (
          <label key={s} class="inline">
            <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => toggle(s, e.currentTarget.checked)} /> {s}
          </label>
        ))}
        {byField.scopes && (
          <span class="error" role="alert">
            {byField.scopes}
          </span>
        )}
      </fieldset>
      <FormError message={failure && Object.keys(byField).length === 0 ? failure.message : undefined} rest={rest} />
      <button type="submit" disabled={busy}>
        {busy ? 'Minting…' : 'Mint key'}
      </button>
    </form>
  );
}
