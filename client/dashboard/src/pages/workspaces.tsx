import { useEffect, useState } from 'preact/hooks';
import type { Workspace } from '@alumia/client';
import { failureOf, fieldErrors, formatTime, type Failure } from '../api.js';
import { ConfirmButton, Empty, Field, FormError, Loading, Page, Select } from '../components.js';
import { orgApi, workspaceApi, type OrgMember, type WorkspaceMember } from '../more-api.js';
import { useStepUp } from '../step-up.js';

/** Workspaces: every change here is browser-only, so each goes through the step-up guard. */
export function WorkspacesPage() {
  const [workspaces, setWorkspaces] = useState<Workspace[] | null>(null);
  const [error, setError] = useState<string | undefined>();
  const load = () =>
    workspaceApi
      .list()
      .then(setWorkspaces)
      .catch((e: unknown) => setError(failureOf(e).message));
  useEffect(() => void load(), []);
  return (
    <Page title="Workspaces">
      <NewWorkspace onCreated={() => void load()} />
      <h2>Workspaces</h2>
      {error ? (
        <FormError message={error} />
      ) : !workspaces ? (
        <Loading what="workspaces" />
      ) : workspaces.length === 0 ? (
        <Empty>No workspace you can see. Create one above.</Empty>
      ) : (
        workspaces.map((w) => <WorkspaceCard key={w.id} workspace={w} onChanged={() => void load()} />)
      )}
    </Page>
  );
}

function NewWorkspace({ onCreated }: { onCreated: () => void }) {
  const guard = useStepUp();
  const [name, setName] = useState('');
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['name', 'slug']);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      await guard(() => workspaceApi.create({ name: name.trim() }));
      setName('');
      onCreated();
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="new-ws-title">
      <h2 id="new-ws-title">New workspace</h2>
      <Field label="Workspace name" name="name" required value={name} onValue={setName} error={byField.name ?? byField.slug} />
      <FormError message={failure && Object.keys(byField).length === 0 ? failure.message : undefined} rest={rest} />
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create workspace'}
      </button>
    </form>
  );
}

function WorkspaceCard({ workspace: w, onChanged }: { workspace: Workspace; onChanged: () => void }) {
  const guard = useStepUp();
  const [name, setName] = useState(w.name);
  const [failure, setFailure] = useState<Failure | null>(null);
  const { byField, rest } = fieldErrors(failure, ['name']);
  const rename = async (e: Event) => {
    e.preventDefault();
    setFailure(null);
    try {
      await guard(() => workspaceApi.rename(w.id, name.trim()));
      onChanged();
    } catch (err) {
      setFailure(failureOf(err));
    }
  };
  return (
    <article class="panel" aria-labelledby={`ws-${w.id}`}>
      <h3 id={`ws-${w.id}`}>
        {w.name} <code>{w.slug}</code>
      </h3>
      <p class="hint">Created {formatTime(w.createdAt)}</p>
      <form onSubmit={(e) => void rename(e)} noValidate>
        <Field label={`New name for ${w.name}`} name="name" value={name} onValue={setName} error={byField.name} />
        <FormError message={failure && !byField.name ? failure.message : undefined} rest={rest} />
        <button type="submit">Rename</button>
      </form>
      <Members workspace={w} />
      <ConfirmButton
        label={`Delete workspace ${w.name}`}
        confirm={`Yes, delete ${w.name}`}
        onConfirm={async () => {
          await guard(() => workspaceApi.remove(w.id));
          onChanged();
        }}
      />
    </article>
  );
}

function Members({ workspace: w }: { workspace: Workspace }) {
  const guard = useStepUp();
  const [members, setMembers] = useState<WorkspaceMember[] | null>(null);
  const [org, setOrg] = useState<OrgMember[]>([]);
  const [pick, setPick] = useState('');
  const [error, setError] = useState<string | undefined>();
  const load = () =>
    workspaceApi
      .members(w.id)
      .then(setMembers)
      .catch((e: unknown) => setError(failureOf(e).message));
  useEffect(() => {
    void load();
    orgApi
      .members()
      .then(setOrg)
      .catch(() => setOrg([]));
  }, [w.id]);
  const run = async (call: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await guard(call);
      await load();
    } catch (e) {
      setError(failureOf(e).message);
    }
  };
  const outside = org.filter((m) => !members?.some((x) => x.userId === m.userId));
  const label = (m: WorkspaceMember) => m.email;
  return (
    <div>
      <h4>Members</h4>
      {!members && !error ? (
        <Loading what="members" />
      ) : members && members.length === 0 ? (
        <Empty>No one was granted this workspace; owners and admins see it anyway.</Empty>
      ) : (
        <ul>
          {members?.map((m) => (
            <li key={m.userId}>
              {label(m)}{' '}
              <button
                type="button"
                class="secondary"
                aria-label={`Revoke ${label(m)} from ${w.name}`}
                onClick={() => void run(() => workspaceApi.revoke(w.id, m.userId))}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      {outside.length > 0 && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => workspaceApi.grant(w.id, pick || outside[0]!.userId));
          }}
        >
          <Select
            label={`Grant ${w.name} to`}
            value={pick || outside[0]!.userId}
            onValue={setPick}
            options={outside.map((m) => [m.userId, m.email] as const)}
          />
          <button type="submit">Grant</button>
        </form>
      )}
      <FormError message={error} />
    </div>
  );
}
