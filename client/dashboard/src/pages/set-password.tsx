import { useState } from 'preact/hooks';
import { client, failureOf, fieldErrors, type Failure } from '../api.js';
import { Field, FormError } from '../components.js';
import { Link } from '../router.js';

/** The token sits in the fragment (`#token=...`), so it never reaches a server log or a Referer header. */
function tokenFromFragment(): string {
  return new URLSearchParams(location.hash.replace(/^#/, '')).get('token') ?? '';
}

export function SetPasswordPage() {
  // Read once, then dropped from the address bar so it is not left in history or copied along with the URL.
  const [token] = useState(() => {
    const t = tokenFromFragment();
    if (t) history.replaceState(null, '', location.pathname);
    return t;
  });
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [failure, setFailure] = useState<Failure | null>(null);
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['password', 'token']);

  if (done)
    return (
      <main class="narrow" id="main">
        <h1 id="page-title">Password set</h1>
        <p role="status">
          The password for <strong>{done}</strong> is set. <Link to="/sign-in">Sign in</Link>
        </p>
      </main>
    );

  const submit = async (e: Event) => {
    e.preventDefault();
    setFailure(null);
    setMismatch(password !== repeat);
    if (password !== repeat) return;
    setBusy(true);
    try {
      const result = await client.auth.setPassword({ token, password });
      setPassword('');
      setRepeat('');
      setDone(result.email);
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="narrow" id="main">
      <h1 id="page-title">Set your password</h1>
      {!token ? (
        <p role="alert">This page needs the one-time link you were given (it ends in #token=…). Open that link again.</p>
      ) : (
        <form onSubmit={(e) => void submit(e)} aria-labelledby="page-title" noValidate>
          <Field
            label="New password"
            type="password"
            name="password"
            autocomplete="new-password"
            hint="12 to 128 characters; a long phrase is easiest to remember."
            required
            value={password}
            onValue={setPassword}
            error={byField.password}
          />
          <Field
            label="Repeat the password"
            type="password"
            name="repeat"
            autocomplete="new-password"
            required
            value={repeat}
            onValue={setRepeat}
            error={mismatch ? 'The two passwords differ.' : undefined}
          />
          <FormError
            message={
              failure?.status === 404
                ? 'This link is unknown, expired or already used; ask for a new one.'
                : (byField.token ?? (failure && !byField.password ? failure.message : undefined))
            }
            rest={rest}
          />
          <button type="submit" disabled={busy}>
            {busy ? 'Saving…' : 'Set password'}
          </button>
        </form>
      )}
    </main>
  );
}
