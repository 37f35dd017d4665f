import { useState } from 'preact/hooks';
import { failureOf, fieldErrors, type Failure } from '../api.js';
import { Field, FormError } from '../components.js';
import { orgApi } from '../more-api.js';
import { Link } from '../router.js';

/** Accepting an invite: the token is in the fragment (`#token=...`), read once and dropped, like set-password. */
export function InvitePage() {
  const [token] = useState(() => {
    const t = new URLSearchParams(location.hash.replace(/^#/, '')).get('token') ?? '';
    if (t) history.replaceState(null, '', location.pathname);
    return t;
  });
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [failure, setFailure] = useState<Failure | null>(null);
  const [done, setDone] = useState<{ email: string; org: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['password', 'name', 'token']);

  if (done)
    return (
      <main class="narrow" id="main">
        <h1 id="page-title">Invite accepted</h1>
        <p role="status">
          <strong>{done.email}</strong> is now a member of {done.org}. <Link to="/sign-in">Sign in</Link>
        </p>
      </main>
    );
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const a = await orgApi.accept({ token, password, ...(name.trim() ? { name: name.trim() } : {}) });
      setPassword('');
      setDone({ email: a.email, org: a.org.name });
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="narrow" id="main">
      <h1 id="page-title">Join the organization</h1>
      {!token ? (
        <p role="alert">This page needs the invite link you were sent (it ends in #token=…). Open that link again.</p>
      ) : (
        <form onSubmit={(e) => void submit(e)} aria-labelledby="page-title" noValidate>
          <Field
            label="Your name"
            name="name"
            autocomplete="name"
            hint="For a new account; ignored if you already have one."
            value={name}
            onValue={setName}
            error={byField.name}
          />
          <Field
            label="Password"
            type="password"
            name="password"
            autocomplete="new-password"
            hint="A new password of 12 to 128 characters, or your current one if you already have an account."
            required
            value={password}
            onValue={setPassword}
            error={byField.password}
          />
          <FormError
            message={
              failure?.status === 404
                ? 'This invite is unknown, expired, revoked or already used; ask for a new one.'
                : (byField.token ?? (failure && !byField.password && !byField.name ? failure.message : undefined))
            }
            rest={rest}
          />
          <button type="submit" disabled={busy}>
            {busy ? 'Joining…' : 'Accept the invite'}
          </button>
        </form>
      )}
    </main>
  );
}
