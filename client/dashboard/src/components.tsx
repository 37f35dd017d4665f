import type { ComponentChildren, JSX } from 'preact';
import { useId } from 'preact/hooks';

type InputProps = Omit<JSX.IntrinsicElements['input'], 'label' | 'onInput' | 'value'>;

/** A labelled input with its hint and its error (from the envelope's details) right beside it. */
export function Field(
  props: InputProps & { label: string; value: string; onValue: (v: string) => void; error?: string | undefined; hint?: string },
) {
  const { label, value, onValue, error, hint, ...rest } = props;
  const id = useId();
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
  const id = useId();
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
