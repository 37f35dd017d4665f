import type {
  CreateWorkspaceData,
  CreateWorkspaceResponse,
  DeleteWorkspaceData,
  DeleteWorkspaceResponse,
  GetWorkspaceData,
  GetWorkspaceResponse,
  GrantWorkspaceAccessData,
  GrantWorkspaceAccessResponse,
  ListWorkspaceMembersData,
  ListWorkspaceMembersResponse,
  ListWorkspacesData,
  ListWorkspacesResponse,
  RevokeWorkspaceAccessData,
  RevokeWorkspaceAccessResponse,
  UpdateWorkspaceData,
  UpdateWorkspaceResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle, type Operations } from './handler.js';

/** Workspaces and their grants; the mutations are browser-only (contract), for owners and admins. */
export function workspaceOperations({ workspaces, workspaceAccess }: DataLayer): Operations {
  return {
    listWorkspaces: handle<ListWorkspacesData, ListWorkspacesResponse>(200, async ({ caller }) => ({
      items: await workspaces.list(caller),
    })),
    getWorkspace: handle<GetWorkspaceData, GetWorkspaceResponse>(200, ({ caller, path }) => workspaces.get(caller, path.id)),
    createWorkspace: handle<CreateWorkspaceData, CreateWorkspaceResponse>(201, ({ caller, body }) => workspaces.create(caller, body)),
    updateWorkspace: handle<UpdateWorkspaceData, UpdateWorkspaceResponse>(200, ({ caller, path, body }) =>
      workspaces.update(caller, path.id, body),
    ),
    deleteWorkspace: handle<DeleteWorkspaceData, DeleteWorkspaceResponse>(200, async ({ caller, path }) => {
      await workspaces.remove(caller, path.id);
      return { deleted: true as const };
    }),
    listWorkspaceMembers: handle<ListWorkspaceMembersData, ListWorkspaceMembersResponse>(200, async ({ caller, path }) => ({
      items: await workspaceAccess.list(caller, path.id),
    })),
    grantWorkspaceAccess: handle<GrantWorkspaceAccessData, GrantWorkspaceAccessResponse>(200, ({ caller, path }) =>
      workspaceAccess.grant(caller, path.id, path.userId),
    ),
    revokeWorkspaceAccess: handle<RevokeWorkspaceAccessData, RevokeWorkspaceAccessResponse>(200, async ({ caller, path }) => {
      await workspaceAccess.revoke(caller, path.id, path.userId);
      return { deleted: true as const };
    }),
  };
}
