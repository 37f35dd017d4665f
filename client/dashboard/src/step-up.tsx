import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { client, failureOf, isStepUpRequired } from './api.js';
import { Field } from './components.js';

/** Runs a call; when the server answers "step-up required", asks for the password, steps up, and retries once. */
export type Guard = <T>(call: () => Promise<T>) => Promise<T>;

const StepUpContext = createContext<Guard>((call) => call());
export const useStepUp = () => useContext(StepUpContext);

interface Pending {
  reason: string;
  done: (confirmed: boolean) => void;
}

export function StepUpProvider({ children }: { children: ComponentChildren }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const guard: Guard = async (call) => {
    try {
      return await call();
    } catch (error) {
      if (!isStepUpRequired(error)) throw error;
      const confirmed = await new Promise<boolean>((done) => setPending({ reason: failureOf(error).message, done }));
      setPending(null);
      if (!confirmed) throw error;
      return call();
    }
  };
  return (
    <StepUpContext.Provider value={guard}>
      {children}
      {pending && <StepUpDialog reason={pending.reason} onDone={pending.done} />}
    </StepUpContext.Provider>
  );
}

/** A modal dialog (the browser's own: focus stays inside, Escape cancels) asking for the password again. */
function StepUpDialog({ reason, onDone }: { reason: string; onDone: (confirmed: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await client.auth.stepUp(password);
      setPassword('');
      onDone(true);
    } catch (err) {
      const f = failureOf(err);
      setError(f.status === 403 ? 'That is not your password.' : f.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} class="step-up" aria-labelledby="step-up-title" onCancel={() => onDone(false)}>
      <form onSubmit={(e) => void submit(e)}>
        <h2 id="step-up-title">Confirm your password</h2>
        <p>This change needs a recent password check.</p>
        <p class="hint">{reason}</p>
        <Field
          label="Password"
          type="password"
          name="password"
          autocomplete="current-password"
          required
          value={password}
          onValue={setPassword}
          error={error}
        />
        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Confirm'}
          </button>
          <button type="button" class="secondary" onClick={() => onDone(false)}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
