import { useEffect, useState } from 'preact/hooks';
import { client, failureOf, type AuthSession } from './api.js';
import { Loading } from './components.js';
import { AccountPage } from './pages/account.js';
import { AgentEditPage, AgentNewPage } from './pages/agent-form.js';
import { AgentsPage } from './pages/agents.js';
import { DevicePage } from './pages/device.js';
import { ApiKeysPage } from './pages/api-keys.js';
import { InvitePage } from './pages/invite.js';
import { MembersPage } from './pages/members.js';
import { OrgSettingsPage } from './pages/org-settings.js';
import { ProjectPage } from './pages/project.js';
import { ProjectsPage } from './pages/projects.js';
import { SessionPage } from './pages/session.js';
import { SessionsPage } from './pages/sessions.js';
import { OverviewPage } from './pages/overview.js';
import { SetPasswordPage } from './pages/set-password.js';
import { SignInPage } from './pages/sign-in.js';
import { WebhookPage } from './pages/webhook.js';
import { WebhooksPage } from './pages/webhooks.js';
import { WorkspacesPage } from './pages/workspaces.js';
import { Link, navigate, usePath } from './router.js';
import { StepUpProvider } from './step-up.js';

const PUBLIC = new Set(['/sign-in', '/set-password', '/invite']);
/** Pages reached by a link rather than the navigation: their titles. */
const LINKED: Array<[string, string]> = [['/device', 'Device login']];
const NAV: Array<[string, string]> = [
  ['/', 'Overview'],
  ['/agents', 'Agents'],
  ['/sessions', 'Sessions'],
  ['/projects', 'Projects'],
  ['/workspaces', 'Workspaces'],
  ['/members', 'Members'],
  ['/org', 'Organization'],
  ['/api-keys', 'API keys'],
  ['/webhooks', 'Webhooks'],
  ['/account', 'Account security'],
];

/** The session decides everything: none -> the sign-in page; the pages below need one. */
export function App() {
  const path = usePath();
  const [session, setSession] = useState<AuthSession | null | undefined>(undefined);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    if (PUBLIC.has(path) || session) return;
    client.auth
      .session()
      .then(setSession)
      .catch((e: unknown) => {
        const f = failureOf(e);
        if (f.status === 401) {
          // The device page (a link the CLI printed) comes back after sign-in, code included.
          if (path === '/device') sessionStorage.setItem('alumia:after-sign-in', `/device${location.search}`);
          setSession(null);
          navigate('/sign-in', { replace: true });
        } else setError(f.message);
      });
  }, [path, session]);

  useEffect(() => {
    const name = PUBLIC.has(path)
      ? ''
      : ((NAV.find(([p]) => p === path) ??
          LINKED.find(([p]) => p === path) ??
          NAV.find(([p]) => p !== '/' && path.startsWith(`${p}/`)))?.[1] ?? 'Not found');
    document.title = name ? `${name} · Alumia dashboard` : 'Alumia dashboard';
  }, [path]);

  if (path === '/set-password') return <SetPasswordPage />;
  if (path === '/invite') return <InvitePage />;
  if (path === '/sign-in')
    return (
      <SignInPage
        onSignedIn={(s) => {
          setSession(s);
          const back = sessionStorage.getItem('alumia:after-sign-in');
          sessionStorage.removeItem('alumia:after-sign-in');
          navigate(back ?? '/', { replace: true });
        }}
      />
    );
  if (error) return <main class="narrow">{<p role="alert">The dashboard could not reach the server: {error}</p>}</main>;
  if (!session) return <main class="narrow">{<Loading what="your session" />}</main>;

  const signOut = async () => {
    try {
      await client.auth.logout();
    } finally {
      setSession(null);
      navigate('/sign-in', { replace: true });
    }
  };

  return (
    <StepUpProvider>
      <header class="top">
        <a class="skip" href="#main">
          Skip to content
        </a>
        <strong class="brand">Alumia</strong>
        <nav aria-label="Dashboard">
          {NAV.map(([to, label]) => (
            <Link key={to} to={to} current={to === '/' ? path === '/' : path.startsWith(to)}>
              {label}
            </Link>
          ))}
        </nav>
        <span class="who">
          {session.user.email} · {session.org.name} ({session.role})
        </span>
        <button type="button" class="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main">{route(path)}</main>
    </StepUpProvider>
  );
}

function route(path: string) {
  if (path === '/') return <OverviewPage />;
  if (path === '/agents') return <AgentsPage />;
  if (path === '/agents/new') return <AgentNewPage />;
  if (path.startsWith('/agents/')) return <AgentEditPage id={decodeURIComponent(path.slice('/agents/'.length))} />;
  if (path === '/sessions') return <SessionsPage />;
  if (path.startsWith('/sessions/')) return <SessionPage id={decodeURIComponent(path.slice('/sessions/'.length))} />;
  if (path === '/projects') return <ProjectsPage />;
  if (path.startsWith('/projects/')) return <ProjectPage id={decodeURIComponent(path.slice('/projects/'.length))} />;
  if (path === '/workspaces') return <WorkspacesPage />;
  if (path === '/members') return <MembersPage />;
  if (path === '/org') return <OrgSettingsPage />;
  if (path === '/api-keys') return <ApiKeysPage />;
  if (path === '/webhooks') return <WebhooksPage />;
  if (path.startsWith('/webhooks/')) return <WebhookPage id={decodeURIComponent(path.slice('/webhooks/'.length))} />;
  if (path === '/account') return <AccountPage />;
  if (path === '/device') return <DevicePage />;
  return (
    <section>
      <h1 id="page-title">Not found</h1>
      <p>
        There is no page here. <Link to="/">Back to the overview</Link>
      </p>
    </section>
  );
}
