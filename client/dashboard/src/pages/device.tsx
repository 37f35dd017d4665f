import { useEffect, useState } from 'preact/hooks';
import { client, failureOf, formatTime } from '../api.js';
import { Field, FormError, Loading, Page } from '../components.js';
import { useStepUp } from '../step-up.js';

type DeviceLogin = Awaited<ReturnType<typeof client.auth.getDeviceLogin>>;

/** The code the CLI printed, from `?code=` (RFC 8628's verification_uri_complete). */
const codeInUrl = () => new URLSearchParams(location.search).get('code') ?? '';

/** Device login: the person checks the CLI's code and name, then approves (step-up) or denies. */
export function DevicePage() {
  const guard = useStepUp();
  const [typed, setTyped] = useState(codeInUrl());
  const [login, setLogin] = useState<DeviceLogin | null | undefined>(codeInUrl() ? undefined : null);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const look = (code: string) => {
    setError(undefined);
    setLogin(undefined);
    client.auth
      .getDeviceLogin(code)
      .then(setLogin)
      .catch((e: unknown) => {
        const f = failureOf(e);
        setLogin(null);
        setError(f.status === 404 ? 'No device login waits for this code: it may have expired. Run alumia login --web again.' : f.message);
      });
  };
  useEffect(() => {
    if (codeInUrl()) look(codeInUrl());
  }, []);

  const decide = async (approve: boolean) => {
    if (!login) return;
    setBusy(true);
    setError(undefined);
    try {
      setLogin(await guard(() => (approve ? client.auth.approveDeviceLogin(login.userCode) : client.auth.denyDeviceLogin(login.userCode))));
    } catch (e) {
      setError(failureOf(e).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Device login">
      {login === undefined ? (
        <Loading what="the device login" />
      ) : login === null ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            look(typed);
          }}
        >
          <Field label="Code shown by the CLI" value={typed} onValue={setTyped} error={error} autoComplete="off" required />
          <button type="submit">Continue</button>
        </form>
      ) : login.status === 'pending' ? (
        <div>
          <p>
            <strong>{login.clientName ?? 'A command-line client'}</strong> asks to sign in as you. Approve only if your terminal shows the
            code{' '}
            <strong class="code" data-testid="device-code">
              {login.userCode}
            </strong>
            . It gets an API key for this organization and workspace. The request expires {formatTime(login.expiresAt)}.
          </p>
          <FormError message={error} />
          <button type="button" disabled={busy} onClick={() => void decide(true)}>
            Approve
          </button>{' '}
          <button type="button" class="secondary" disabled={busy} onClick={() => void decide(false)}>
            Deny
          </button>
        </div>
      ) : (
        <p role="status">
          {login.status === 'approved'
            ? 'Approved: you can go back to your terminal.'
            : 'Denied: the client gets no key. You can close this page.'}
        </p>
      )}
    </Page>
  );
}
