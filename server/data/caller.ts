import type { Role, Scope } from '../../generated/sdk/types.gen.js';

/**
 * Who is calling, as established by an API key or by a dashboard session cookie. Every data function
 * takes one. A session caller is its user: the membership's role, the user's current workspace, every
 * scope; it has no key, so the key fields are null and code that needs a key must say what a session does.
 */
export interface Caller {
  /**
   * How the request authenticated; `trigger`: no request credential, a trigger URL acting for its creator
   * (server/data/agent-triggers.ts), which names itself in the activity rows.
   */
  via: 'key' | 'session' | 'trigger';
  /** The API key; null for a dashboard session. */
  keyId: string | null;
  keyPrefix: string | null;
  /**
   * How the activity feed names a key caller: the key's own name. For a session caller, the user's email,
   * the fallback where a user without a name must still be named.
   */
  keyName: string;
  userName: string | null;
  orgId: string;
  userId: string;
  role: Role;
  scopes: Scope[];
  /** The server's key environment (a key caller's key carries it). */
  keyEnv: 'live' | 'test';
  /** The caller's current workspace, or null when it has none it can still see. */
  currentWorkspaceId: string | null;
  /** The dashboard session (BrowserSession row); null for a key. */
  browserSessionId: string | null;
  /** Until when browser-only operations are allowed; null for a key or a session that never stepped up. */
  stepUpUntil: Date | null;
}

export const hasScope = (caller: Pick<Caller, 'scopes'>, scope: Scope) => caller.scopes.includes('*') || caller.scopes.includes(scope);

/** What per-caller budgets (the API rate limit) are keyed on: the key, or the dashboard session. */
export const budgetKey = (caller: Pick<Caller, 'keyId' | 'browserSessionId'>): string => caller.keyId ?? `session:${caller.browserSessionId}`;
