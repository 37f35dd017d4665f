import { useEffect, useState } from 'preact/hooks';
import type { Agent, Session } from '@alumia/client';
import { client, failureOf, fieldErrors, formatTime, type Failure } from '../api.js';
import { Empty, Field, FormError, Loading, Page, Select, Table } from '../components.js';
import { usePagedList } from '../paged-list.js';
import { Link, navigate } from '../router.js';

/** The agents of the workspace by id, for showing a session's participants by name. */
export function useAgents(): Agent[] | null {
  const [agents, setAgents] = useState<Agent[] | null>(null);
  useEffect(() => {
    client.agents
      .listPage({ limit: 100 })
      .then((p) => setAgents(p.items))
      .catch(() => setAgents([]));
  }, []);
  return agents;
}

export const agentName = (agents: Agent[] | null, id: string) => agents?.find((a) => a.id === id)?.name ?? id.slice(0, 8);

export function SessionsPage() {
  const { items: sessions, error, more } = usePagedList<Session>((query) => client.sessions.listPage(query));
  const agents = useAgents();

  return (
    <Page title="Sessions">
      <NewSession agents={agents} />
      <h2>Recent sessions</h2>
      {error ? (
        <FormError message={error} />
      ) : !sessions ? (
        <Loading what="sessions" />
      ) : sessions.length === 0 ? (
        <Empty>No sessions yet. Start one above with one of your agents.</Empty>
      ) : (
        <Table caption="Sessions" columns={['Title', 'Agents', 'Kind', 'Last activity']}>
          {sessions.map((s) => (
            <tr key={s.id}>
              <td>
                <Link to={`/sessions/${s.id}`}>{s.title ?? 'Untitled session'}</Link>
              </td>
              <td>{s.agentIds.map((id) => agentName(agents, id)).join(', ')}</td>
              <td>{typeof s.metadata.relationship === 'string' ? s.metadata.relationship : '—'}</td>
              <td>{formatTime(s.updatedAt)}</td>
            </tr>
          ))}
        </Table>
      )}
      {more('Show more sessions')}
    </Page>
  );
}

function NewSession({ agents }: { agents: Agent[] | null }) {
  const [title, setTitle] = useState('');
  const [agent, setAgent] = useState('');
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['title', 'agentIds']);
  const live = (agents ?? []).filter((a) => a.isActive);
  const chosen = agent || live[0]?.id || '';

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const s = await client.sessions.create({ agentIds: chosen ? [chosen] : [], ...(title.trim() ? { title: title.trim() } : {}) });
      navigate(`/sessions/${s.id}`);
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  if (!agents) return <Loading what="agents" />;
  if (live.length === 0)
    return (
      <Empty>
        A session needs an agent to talk to. <Link to="/agents/new">Create an agent</Link> first.
      </Empty>
    );
  return (
    <form class="panel" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="new-session-title">
      <h2 id="new-session-title">Start a session</h2>
      <Field label="Title (optional)" name="title" value={title} onValue={setTitle} error={byField.title} />
      <Select
        label="Agent"
        name="agentIds"
        value={chosen}
        onValue={setAgent}
        options={live.map((a) => [a.id, `${a.name} (${a.model})`] as const)}
        error={byField.agentIds}
      />
      <FormError message={failure && Object.keys(byField).length === 0 ? failure.message : undefined} rest={rest} />
      <button type="submit" disabled={busy}>
        {busy ? 'Starting…' : 'Start session'}
      </button>
    </form>
  );
}
