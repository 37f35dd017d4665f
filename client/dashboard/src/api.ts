import { createClient, type AlumiaClient, type ErrorDetail } from '@alumia/client';

/**
 * The one client of the page: it signs in with the session cookie of this origin, never with an API key.
 * Retries are off: a person is watching, and a repeated POST would need an idempotency key each.
 */
export const client: AlumiaClient = createClient({ credentials: 'same-origin', baseUrl: location.origin, retries: 0 });

export type AuthSession = Awaited<ReturnType<AlumiaClient['auth']['session']>>;
export type BrowserSession = Awaited<ReturnType<AlumiaClient['auth']['sessions']>>['items'][number];

/** What the page needs of a failed call: the envelope's code, message and details. */
export interface Failure {
  code: string;
  status: number;
  message: string;
  details: readonly ErrorDetail[];
}

export function failureOf(error: unknown): Failure {
  const e = error as Partial<Failure> | null;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    return { code: e.code, status: e.status ?? 0, message: e.message, details: e.details ?? [] };
  }
  return { code: 'UNKNOWN', status: 0, message: String(error), details: [] };
}

/** The server's stable wording for "confirm your password and retry" (server/plugins/browser-only.ts). */
export const isStepUpRequired = (error: unknown): boolean => {
  const f = failureOf(error);
  return f.status === 403 && /step-up required/i.test(f.message);
};

/**
 * The envelope's details by form field: `body.allowedPeers.0` and `body.allowedPeers` both belong to the
 * `allowedPeers` field. Details of no field of the form are left for the form-level message.
 */
export function fieldErrors(failure: Failure | null, fields: readonly string[]): { byField: Record<string, string>; rest: string[] } {
  const byField: Record<string, string> = {};
  const rest: string[] = [];
  for (const d of failure?.details ?? []) {
    const name = d.path.replace(/^body\./, '').split(/[.[]/)[0] ?? '';
    if (fields.includes(name)) byField[name] = byField[name] ? `${byField[name]}; ${d.message}` : d.message;
    else rest.push(`${d.path}: ${d.message}`);
  }
  return { byField, rest };
}

/** `a, b ,c` -> `['a', 'b', 'c']`: how the page edits slug lists. */
export const splitList = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

export const formatTime = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');
