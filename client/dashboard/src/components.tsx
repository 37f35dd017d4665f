import type { ComponentChildren, JSX } from 'preact';
import { useState } from 'preact/hooks';
import { failureOf } from './api.js';

// Ids unique in the whole page: Preact's useId repeats ids across separately rendered trees (the step-up
// dialog is one), which pointed the dialog's Password label at a field of the page behind it.
let lastFieldId = 0;
const useFieldId = () => useState(() => `field-${++lastFieldId}`)[0];

type InputProps = Omit<JSX.IntrinsicElements['input'], 'label' | 'onInput' | 'value'>;

/** A labelled input with its hint and its error (from the envelope's details) right beside it. */
export function Field(
  props: InputProps & { label: string; value: string; onValue: (v: string) => void; error?: string | undefined; hint?: string },
) {
  const { label, value, onValue, error, hint, ...rest } = props;
  const id = useFieldId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      <input
        id={id}
        {...rest}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={described}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
      {error && (
        <span id={`${id}-error`} class="error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

/** A labelled multi-line field, like Field. */
export function TextArea(props: { label: string; value: string; onValue: (v: string) => void; error?: string | undefined; name?: string }) {
  const id = useFieldId();
  return (
    <div class={`field${props.error ? ' invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      <textarea
        id={id}
        name={props.name}
        rows={4}
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${id}-error` : undefined}
        onInput={(e) => props.onValue(e.currentTarget.value)}
      />
      {props.error && (
        <span id={`${id}-error`} class="error" role="alert">
          {props.error}
        </span>
      )}
    </div>
  );
}

/** A form-level failure: the message, and any detail that belongs to no field of the form. */
export function FormError({ message, rest = [] }: { message?: string | undefined; rest?: string[] }) {
  if (!message && rest.length === 0) return null;
  return (
    <div class="form-error" role="alert">
      {message && <p>{message}</p>}
      {rest.length > 0 && (
        <ul>
          {rest.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export const Loading = ({ what }: { what: string }) => (
  <p class="loading" role="status" aria-live="polite">
    Loading {what}…
  </p>
);

export const Empty = ({ children }: { children: ComponentChildren }) => <p class="empty">{children}</p>;

/**
 * A list's table: its caption for screen readers, a header per column, and, when its rows end in action
 * buttons, a last header whose name only screen readers get.
 */
export function Table({
  caption,
  columns,
  actions = false,
  children,
}: {
  caption: string;
  columns: string[];
  actions?: boolean;
  children: ComponentChildren;
}) {
  return (
    <table>
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
          {actions && (
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

export function Page({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section aria-labelledby="page-title">
      <header class="page-header">
        <h1 id="page-title">{title}</h1>
        {actions}
      </header>
      {children}
    </section>
  );
}

/** A labelled select, like Field: `options` are `[value, label]` pairs. */
export function Select(props: {
  label: string;
  value: string;
  onValue: (v: string) => void;
  options: ReadonlyArray<readonly [string, string]>;
  error?: string | undefined;
  name?: string;
}) {
  const id = useFieldId();
  return (
    <div class={`field${props.error ? ' invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${id}-error` : undefined}
        onChange={(e) => props.onValue(e.currentTarget.value)}
      >
        {props.options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
      {props.error && (
        <span id={`${id}-error`} class="error" role="alert">
          {props.error}
        </span>
      )}
    </div>
  );
}

/**
 * A secret or one-time link shown once, with a copy button: it lives only in the caller's state (never in
 * storage or the address bar) and is gone when dismissed or when the page is left.
 */
export function ShownOnce({
  title,
  label,
  value,
  note,
  onDismiss,
}: {
  title: string;
  label: string;
  value: string;
  note: string;
  onDismiss: () => void;
}) {
  const id = useFieldId();
  const [copied, setCopied] = useState<string | undefined>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied.');
    } catch {
      setCopied('Copying failed: select the text and copy it yourself.');
    }
  };
  return (
    <div class="panel new-key" role="region" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <p>{note}</p>
      <label for={id}>{label}</label>
      <input id={id} readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
      <div class="actions">
        <button type="button" onClick={() => void copy()}>
          Copy {label.toLowerCase()}
        </button>
        <button type="button" class="secondary" onClick={onDismiss}>
          Done
        </button>
        <span role="status">{copied}</span>
      </div>
    </div>
  );
}

/**
 * A destructive action behind a second, explicit click ("Yes, delete X" / "Keep"). If it fails, the
 * failure's message (the envelope's, for an API error) is shown beside it.
 */
export function ConfirmButton({
  label,
  confirm,
  onConfirm,
  busyLabel,
}: {
  label: string;
  confirm: string;
  onConfirm: () => Promise<void>;
  busyLabel?: string;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      setAsking(false);
    } catch (e) {
      setError(failureOf(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="actions">
      {asking ? (
        <>
          <button type="button" class="danger" disabled={busy} onClick={() => void run()}>
            {busy ? (busyLabel ?? 'Working…') : confirm}
          </button>
          <button type="button" class="secondary" onClick={() => setAsking(false)}>
            Keep
          </button>
        </>
      ) : (
        <button type="button" class="secondary" onClick={() => setAsking(true)}>
          {label}
        </button>
      )}
      {error && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
