import { useState } from 'preact/hooks';
import type { Project } from '@alumia/client';
import { client, failureOf, fieldErrors, formatTime, type Failure } from '../api.js';
import { Empty, Field, FormError, Loading, Page, Table, TextArea } from '../components.js';
import { usePagedList } from '../paged-list.js';
import { Link, navigate } from '../router.js';

export function ProjectsPage() {
  const { items: projects, error, more } = usePagedList<Project>((query) => client.projects.listPage(query));

  return (
    <Page title="Projects">
      <NewProject />
      <h2>Projects of this workspace</h2>
      {error ? (
        <FormError message={error} />
      ) : !projects ? (
        <Loading what="projects" />
      ) : projects.length === 0 ? (
        <Empty>No projects yet. Create one above to collect sessions and notes on a canvas.</Empty>
      ) : (
        <Table caption="Projects" columns={['Name', 'Slug', 'Description', 'Updated']}>
          {projects.map((p) => (
            <tr key={p.id}>
              <td>
                <Link to={`/projects/${encodeURIComponent(p.slug)}`}>{p.name}</Link>
              </td>
              <td>
                <code>{p.slug}</code>
              </td>
              <td>{p.description ?? '—'}</td>
              <td>{formatTime(p.updatedAt)}</td>
            </tr>
          ))}
        </Table>
      )}
      {more('Show more projects')}
    </Page>
  );
}

function NewProject() {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['name', 'description']);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const p = await client.projects.create({ name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) });
      navigate(`/projects/${encodeURIComponent(p.slug)}`);
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="new-project-title">
      <h2 id="new-project-title">New project</h2>
      <Field label="Project name" name="name" required value={name} onValue={setName} error={byField.name} />
      <TextArea
        label="Description (optional)"
        name="description"
        value={description}
        onValue={setDescription}
        error={byField.description}
      />
      <FormError message={failure && Object.keys(byField).length === 0 ? failure.message : undefined} rest={rest} />
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create project'}
      </button>
    </form>
  );
}
