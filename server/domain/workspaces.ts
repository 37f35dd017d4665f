import type { Role } from '../../generated/sdk/types.gen.js';
import { ApiError } from '../errors.js';
import { actorPhrase, type Actor } from './activity.js';
import { slugify } from './slugs.js';

/**
 * Workspace administration as plain rules: owners and admins create, rename and delete workspaces and
 * grant or revoke access to them; members do none of it. An organization always keeps one live workspace.
 */

const MANAGERS: readonly Role[] = ['owner', 'admin'];

export function requireWorkspaceManager(actor: Role): void {
  if (!MANAGERS.includes(actor)) throw new ApiError('FORBIDDEN', 'Only owners and admins manage workspaces');
}

/** The stored name: trimmed; whitespace alone is no name (422). */
export function workspaceName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '')
    throw new ApiError('VALIDATION_ERROR', 'body.name must not be blank', [{ path: 'body.name', message: 'must not be blank' }]);
  return trimmed;
}

/** The slug a new workspace's name starts from (`workspace` when the name has no usable character). */
export const workspaceSlugBase = (name: string): string => slugify(name, 'workspace');

/** Deleting would leave the organization without a live workspace: 409. `live` counts them before it. */
export function requireAnotherWorkspace(live: number): void {
  if (live <= 1) throw new ApiError('CONFLICT', "The organization's last workspace cannot be deleted; create another one first");
}

export type WorkspaceChange = 'created' | 'updated' | 'deleted' | 'access_granted' | 'access_revoked';

/** The activity row's sentence: which workspace, what happened, by whom; `who` is the member a grant names. */
export function workspaceSummary(change: WorkspaceChange, name: string, actor: Actor, who?: string): string {
  const by = actorPhrase(actor);
  switch (change) {
    case 'created':
      return `Workspace ${name} was created by ${by}`;
    case 'updated':
      return `Workspace ${name} was renamed by ${by}`;
    case 'deleted':
      return `Workspace ${name} was deleted by ${by}`;
    case 'access_granted':
      return `${who} was granted access to workspace ${name} by ${by}`;
    case 'access_revoked':
      return `${who} lost access to workspace ${name}, revoked by ${by}`;
  }
}
