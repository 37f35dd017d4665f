import { useEffect, useState } from 'preact/hooks';
import { client, failureOf, type AuthSession } from './api.js';
import { Loading } from './components.js';
import { AccountPage } from './pages/account.js';
import { AgentEditPage, AgentNewPage } from './pages/agent-form.js';
import { AgentsPage } from './pages/agents.js';
import { ApiKeysPage } from './pages/api-keys.js';
import { OverviewPage } from './pages/overview.js';
import { SetPasswordPage } from './pages/set-password.js';
import { SignInPage } from './pages/sign-in.js';
import { Link, navigate, usePath } from './router.js';
import { StepUpProvider } from './step-up.js';

const PUBLIC = new Set(['/sign-in', '/set-password']);
const NAV: Array<[string, string]> = [
  ['/', 'Overview'],
  ['/agents', 'Agents'],
  ['/api-keys', 'API keys'],
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
          setSession(null);
          navigate('/sign-in', { replace: true });
        } else setError(f.message);
      });
  }, [path, session]);

  useEffect(() => {
    const name = PUBLIC.has(path) ? '' : (NAV.find(([p]) => p === path)?.[1] ?? 'Agents');
    document.title = name ? `${name} · Alumia dashboard` : 'Alumia dashboard';
  }, [path]);

  if (path === '/set-password') return <SetPasswordPage />;
  if (path === '/sign-in')
    return (
      <SignInPage
        onSignedIn={(s) => {
          setSession(s);
          navigate('/', { replace: true });
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
  if (path === '/api-keys') return <ApiKeysPage />;
  if (path === '/account') return <AccountPage />;
  return (
    <section>
      <h1 id="page-title">Not found</h1>
      <p>
        There is no page here. <Link to="/">Back to the overview</Link>
      </p>
    </section>
  );
}
