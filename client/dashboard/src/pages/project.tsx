import { useEffect, useState } from 'preact/hooks';
import type { Block, Project } from '@alumia/client';
import { client, failureOf, fieldErrors, formatTime, type Failure } from '../api.js';
import { ConfirmButton, Empty, Field, FormError, Loading, Page, ShownOnce, Table } from '../components.js';
import { sharingApi, type ShareLink } from '../more-api.js';
import { Link } from '../router.js';
import { useStepUp } from '../step-up.js';

/** A project: its canvas blocks in order, and its share links. */
export function ProjectPage({ id }: { id: string }) {
  const [project, setProject] = useState<Project | null>(null);
  const [blocks, setBlocks] = useState<Block[] | null>(null);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    void (async () => {
      try {
        setProject(await client.projects.get(id));
        const all: Block[] = [];
        for await (const b of client.projects.blocks.list(id, { limit: 100 })) all.push(b);
        setBlocks(all);
      } catch (e) {
        setError(failureOf(e).message);
      }
    })();
  }, [id]);

  if (error)
    return (
      <Page title="Project">
        <FormError message={error} />
        <Link to="/projects">Back to the projects</Link>
      </Page>
    );
  if (!project || !blocks) return <Page title="Project">{<Loading what="the project" />}</Page>;
  return (
    <Page title={project.name}>
      <p>
        <Link to="/projects">All projects</Link> · <code>{project.slug}</code>
        {project.description && ` · ${project.description}`}
      </p>
      <h2>Canvas</h2>
      {blocks.length === 0 ? (
        <Empty>This project's canvas has no blocks yet.</Empty>
      ) : (
        <ol class="blocks" aria-label="Blocks">
          {blocks.map((b) => (
            <li key={b.id} class={`block ${b.type}`}>
              <BlockView block={b} />
            </li>
          ))}
        </ol>
      )}
      <ShareLinks project={project} />
    </Page>
  );
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

function BlockView({ block }: { block: Block }) {
  const c = block.content;
  if (block.type === 'heading') return <h3>{str(c.text)}</h3>;
  if (block.type === 'text') return <p>{str(c.text)}</p>;
  if (block.type === 'code') return <pre aria-label={`Code${c.language ? ` (${str(c.language)})` : ''}`}>{str(c.code)}</pre>;
  // A link, not an <img>: the page's CSP loads images of its own origin only.
  if (block.type === 'image')
    return (
      <p>
        Image: <a href={str(c.url).startsWith('https://') ? str(c.url) : undefined}>{str(c.alt) || 'untitled image'}</a>
      </p>
    );
  if (block.type === 'session') return <Link to={`/sessions/${str(c.sessionId)}`}>A session of this project</Link>;
  return <Link to={`/agents/${str(c.agentId)}`}>An agent of this project</Link>;
}

const linkState = (l: ShareLink) =>
  l.revokedAt ? `revoked ${formatTime(l.revokedAt)}` : l.expiresAt && Date.parse(l.expiresAt) < Date.now() ? 'expired' : 'active';

function ShareLinks({ project }: { project: Project }) {
  const guard = useStepUp();
  const [links, setLinks] = useState<ShareLink[] | null>(null);
  const [loadError, setLoadError] = useState<string | undefined>();
  const [expires, setExpires] = useState('');
  const [failure, setFailure] = useState<Failure | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['expiresAt']);
  const load = () =>
    sharingApi
      .links(project.id)
      .then(setLinks)
      .catch((e: unknown) => setLoadError(failureOf(e).message));
  useEffect(() => void load(), [project.id]);

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const body = expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {};
      const link = await guard(() => sharingApi.createLink(project.id, body));
      setCreated(link.url);
      setExpires('');
      void load();
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="share-title">
      <h2 id="share-title">Share links</h2>
      <p>Anyone with a share link can read this project's canvas without signing in, until you revoke the link.</p>
      {created && (
        <ShownOnce
          title="Your new share link"
          label="Share link"
          value={created}
          note="Copy it now: it is shown only this once."
          onDismiss={() => setCreated(null)}
        />
      )}
      <form onSubmit={(e) => void create(e)} noValidate>
        <Field
          label="Link expires on (optional)"
          name="expiresAt"
          type="date"
          value={expires}
          onValue={setExpires}
          error={byField.expiresAt}
        />
        <FormError message={failure && Object.keys(byField).length === 0 ? failure.message : undefined} rest={rest} />
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create share link'}
        </button>
      </form>
      <h3>Links</h3>
      {loadError ? (
        <FormError message={loadError} />
      ) : !links ? (
        <Loading what="share links" />
      ) : links.length === 0 ? (
        <Empty>No share links. The project is visible only to your organization.</Empty>
      ) : (
        <Table caption="Share links" columns={['Created', 'Expires', 'State']} actions>
          {links.map((l) => (
            <tr key={l.id}>
              <td>{formatTime(l.createdAt)}</td>
              <td>{l.expiresAt ? formatTime(l.expiresAt) : 'never'}</td>
              <td>{linkState(l)}</td>
              <td>
                {!l.revokedAt && (
                  <ConfirmButton
                    label={`Revoke the link of ${formatTime(l.createdAt)}`}
                    confirm="Yes, revoke this link"
                    onConfirm={async () => {
                      await guard(() => sharingApi.revokeLink(project.id, l.id));
                      await load();
                    }}
                  />
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
