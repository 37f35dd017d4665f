import * as sdk from '../../../generated/sdk/index.js';
import { base, idempotency, type CallOptions, type CreateOptions, type Transport, unwrap } from '../call.js';
import type { CreateWorkspaceInput, DataOf, UpdateWorkspaceInput } from '../types.js';

/**
 * Workspaces the caller can see and who was granted them. Creating, renaming, deleting and granting are
 * dashboard-only (a signed-in session with step-up): an API key gets 403 `FORBIDDEN`.
 */
export class Workspaces {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** The workspaces the caller can see (not paginated). */
  list(options?: CallOptions): Promise<DataOf<sdk.ListWorkspacesResponse>> {
    return unwrap(sdk.listWorkspaces(base(this.#t, options)));
  }

  get(id: string, options?: CallOptions): Promise<DataOf<sdk.GetWorkspaceResponse>> {
    return unwrap(sdk.getWorkspace({ ...base(this.#t, options), path: { id } }));
  }

  /** A new workspace; its slug comes from the name and never changes. */
  create(body: CreateWorkspaceInput, options?: CreateOptions): Promise<DataOf<sdk.CreateWorkspaceResponse>> {
    return unwrap(sdk.createWorkspace({ ...base(this.#t, options), ...idempotency(options), body }));
  }

  /** Renames the workspace (its slug stays). */
  update(id: string, changes: UpdateWorkspaceInput, options?: CallOptions): Promise<DataOf<sdk.UpdateWorkspaceResponse>> {
    return unwrap(sdk.updateWorkspace({ ...base(this.#t, options), path: { id }, body: changes }));
  }

  /** Deletes the workspace (not the organization's last one). */
  delete(id: string, options?: CallOptions): Promise<DataOf<sdk.DeleteWorkspaceResponse>> {
    return unwrap(sdk.deleteWorkspace({ ...base(this.#t, options), path: { id } }));
  }

  /** The members granted access to the workspace (not paginated). */
  members(id: string, options?: CallOptions): Promise<DataOf<sdk.ListWorkspaceMembersResponse>> {
    return unwrap(sdk.listWorkspaceMembers({ ...base(this.#t, options), path: { id } }));
  }

  /** Grants an organization member access (idempotent). */
  grant(id: string, userId: string, options?: CallOptions): Promise<DataOf<sdk.GrantWorkspaceAccessResponse>> {
    return unwrap(sdk.grantWorkspaceAccess({ ...base(this.#t, options), path: { id, userId } }));
  }

  /** Revokes a member's access at once (idempotent). */
  revoke(id: string, userId: string, options?: CallOptions): Promise<DataOf<sdk.RevokeWorkspaceAccessResponse>> {
    return unwrap(sdk.revokeWorkspaceAccess({ ...base(this.#t, options), path: { id, userId } }));
  }
}
