// The server's RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers-11), read with a
// structured-field parser: one entry per policy that governed an answer.
import { parseList } from 'structured-headers';

/** Where the caller stands in one of the server's limits, as of one answer. */
export interface RateLimit {
  /** The policy: `api` (the key's budget), `sensitive` (key minting and auth flows), `docs-ask`, `enterprise-inquiry`. */
  policy: string;
  /** Requests the policy allows per window (`q`), when the answer named it. */
  limit: number | undefined;
  /** The window in seconds (`w`), when the answer named it. */
  windowSeconds: number | undefined;
  /** Requests left in the current window (`r`). */
  remaining: number;
  /** Seconds until the window resets (`t`). */
  resetSeconds: number;
}

const integer = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined);

/** Named members of a list field: a malformed field reads as none (the answer itself is still good). */
function named(value: string | null): Map<string, Map<string, unknown>> {
  const out = new Map<string, Map<string, unknown>>();
  if (value === null) return out;
  try {
    for (const [item, params] of parseList(value)) if (typeof item === 'string') out.set(item, params);
  } catch {
    // A field that is not a valid Structured Field list: ignored, as the draft asks of clients.
  }
  return out;
}

/** The policies an answer reports, or an empty list when it carries no RateLimit field. */
export function parseRateLimit(headers: Headers): RateLimit[] {
  const policies = named(headers.get('RateLimit-Policy'));
  const limits: RateLimit[] = [];
  for (const [policy, params] of named(headers.get('RateLimit'))) {
    const remaining = integer(params.get('r'));
    if (remaining === undefined) continue;
    const declared = policies.get(policy);
    limits.push({
      policy,
      limit: integer(declared?.get('q')),
      windowSeconds: integer(declared?.get('w')),
      remaining,
      resetSeconds: integer(params.get('t')) ?? 0,
    });
  }
  return limits;
}

/** How long an exhausted answer asks to wait, in milliseconds: the longest reset among its empty policies. */
export function exhaustedForMs(limits: readonly RateLimit[]): number | undefined {
  const waits = limits.filter((l) => l.remaining === 0).map((l) => l.resetSeconds * 1000);
  return waits.length === 0 ? undefined : Math.max(...waits);
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
