import { useEffect, useState } from 'preact/hooks';
import { client, failureOf, fieldErrors, formatTime, type BrowserSession, type Failure } from '../api.js';
import { Empty, Field, FormError, Loading, Page, Table } from '../components.js';
import { useStepUp } from '../step-up.js';

/** Account security: the user's own signed-in browsers, and the password. Both changes need step-up. */
export function AccountPage() {
  const guard = useStepUp();
  const [sessions, setSessions] = useState<BrowserSession[] | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [rowError, setRowError] = useState<Record<string, string>>({});

  const load = () =>
    client.auth
      .sessions()
      .then((s) => setSessions(s.items))
      .catch((e: unknown) => setError(failureOf(e).message));
  useEffect(() => void load(), []);

  const revoke = async (s: BrowserSession) => {
    setRowError({});
    try {
      await guard(() => client.auth.revokeSession(s.id));
      await load();
    } catch (e) {
      setRowError({ [s.id]: failureOf(e).message });
    }
  };

  return (
    <Page title="Account security">
      <h2>Signed-in browsers</h2>
      {error ? (
        <FormError message={error} />
      ) : !sessions ? (
        <Loading what="your sessions" />
      ) : sessions.length === 0 ? (
        <Empty>No other sessions.</Empty>
      ) : (
        <Table caption="Your sessions" columns={['Browser', 'Signed in', 'Last active', 'Ends']} actions>
          {sessions.map((s) => (
            <tr key={s.id} data-session={s.id}>
              <td>
                {s.userAgent ?? 'Unknown browser'}
                {s.current && <strong> (this browser)</strong>}
              </td>
              <td>{formatTime(s.createdAt)}</td>
              <td>{formatTime(s.lastSeenAt)}</td>
              <td>{formatTime(s.expiresAt)}</td>
              <td>
                {!s.current && (
                  <button
                    type="button"
                    class="secondary"
                    aria-label={`Sign out the session from ${formatTime(s.createdAt)}`}
                    onClick={() => void revoke(s)}
                  >
                    Sign out
                  </button>
                )}
                {rowError[s.id] && (
                  <span class="error" role="alert">
                    {rowError[s.id]}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      <ChangePassword onChanged={() => void load()} />
    </Page>
  );
}

function ChangePassword({ onChanged }: { onChanged: () => void }) {
  const guard = useStepUp();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [failure, setFailure] = useState<Failure | null>(null);
  const [done, setDone] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const { byField, rest } = fieldErrors(failure, ['currentPassword', 'newPassword']);
  // A wrong current password is a 403 without details: it belongs beside that field.
  const wrongCurrent = failure?.status === 403 && /current password/i.test(failure.message) ? failure.message : undefined;

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    setDone(undefined);
    try {
      const r = await guard(() => client.auth.changePassword({ currentPassword: current, newPassword: next }));
      setCurrent('');
      setNext('');
      setDone(`Password changed; ${r.endedSessions} other session${r.endedSessions === 1 ? '' : 's'} signed out.`);
      onChanged();
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="password-title" class="panel">
      <h2 id="password-title">Change password</h2>
      <Field
        label="Current password"
        type="password"
        name="currentPassword"
        autocomplete="current-password"
        value={current}
        onValue={setCurrent}
        error={byField.currentPassword ?? wrongCurrent}
      />
      <Field
        label="New password"
        type="password"
        name="newPassword"
        autocomplete="new-password"
        hint="12 to 128 characters. Every other browser is signed out."
        value={next}
        onValue={setNext}
        error={byField.newPassword}
      />
      <FormError message={failure && !wrongCurrent && Object.keys(byField).length === 0 ? failure.message : undefined} rest={rest} />
      {done && <p role="status">{done}</p>}
      <button type="submit" disabled={busy}>
        {busy ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}
