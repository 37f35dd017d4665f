import type { Role, Scope } from '../../generated/sdk/types.gen.js';

/** Who is calling, as established by the API key. Every data function takes one. */
export interface Caller {
  keyId: string;
  keyPrefix: string;
  /** The key's own name and its user's name: how the activity feed names the caller. */
  keyName: string;
  userName: string | null;
  orgId: string;
  userId: string;
  role: Role;
  scopes: Scope[];
  keyEnv: 'live' | 'test';
  /** The caller's current workspace, or null when it has none it can still see. */
  currentWorkspaceId: string | null;
}

export const hasScope = (caller: Pick<Caller, 'scopes'>, scope: Scope) => caller.scopes.includes('*') || caller.scopes.includes(scope);
