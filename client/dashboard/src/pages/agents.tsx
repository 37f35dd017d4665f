import type { Agent } from '@alumia/client';
import { client } from '../api.js';
import { Empty, FormError, Loading, Page, Table } from '../components.js';
import { usePagedList } from '../paged-list.js';
import { Link } from '../router.js';

export function AgentsPage() {
  const { items: agents, error, more } = usePagedList<Agent>((query) => client.agents.listPage(query));

  const actions = (
    <Link to="/agents/new">
      <span class="button">New agent</span>
    </Link>
  );
  if (error) return <Page title="Agents">{<FormError message={error} />}</Page>;
  if (!agents) return <Page title="Agents">{<Loading what="agents" />}</Page>;
  return (
    <Page title="Agents" actions={actions}>
      {agents.length === 0 ? (
        <Empty>No agents yet. Create the first one with “New agent”.</Empty>
      ) : (
        <Table caption="Agents" columns={['Name', 'Slug', 'Model', 'Peers', 'Status']}>
          {agents.map((a) => (
            <tr key={a.id}>
              <td>
                <Link to={`/agents/${encodeURIComponent(a.slug)}`}>{a.name}</Link>
              </td>
              <td>
                <code>{a.slug}</code>
              </td>
              <td>{a.model}</td>
              <td>{a.allowedPeers.length === 0 ? '—' : a.allowedPeers.join(', ')}</td>
              <td>{a.isActive ? 'active' : 'inactive'}</td>
            </tr>
          ))}
        </Table>
      )}
      {more('Show more agents')}
    </Page>
  );
}
