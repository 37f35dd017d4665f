import { useState } from 'preact/hooks';
import { client, failureOf, fieldErrors, type AuthSession, type Failure } from '../api.js';
import { Field, FormError } from '../components.js';

export function SignInPage({ onSignedIn }: { onSignedIn: (s: AuthSession) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['email', 'password']);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const session = await client.auth.login({ email: email.trim(), password });
      setPassword('');
      onSignedIn(session);
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="narrow" id="main">
      <h1 id="page-title">Sign in to Alumia</h1>
      <form onSubmit={(e) => void submit(e)} aria-labelledby="page-title" noValidate>
        <Field
          label="Email"
          type="email"
          name="email"
          autocomplete="username"
          required
          value={email}
          onValue={setEmail}
          error={byField.email}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autocomplete="current-password"
          required
          value={password}
          onValue={setPassword}
          error={byField.password}
        />
        <FormError message={failure ? (failure.status === 401 ? 'Wrong email or password.' : failure.message) : undefined} rest={rest} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p class="hint">
        No password yet? Ask your administrator for a one-time link, or open the one the server printed at its first start.
      </p>
    </main>
  );
}
