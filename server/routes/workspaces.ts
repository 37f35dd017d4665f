import type { GetWorkspaceData, GetWorkspaceResponse, ListWorkspacesData, ListWorkspacesResponse } from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle, type Operations } from './handler.js';

// Creating and deleting workspaces is browser-only: the browser-only plugin answers those operations.
export function workspaceOperations(data: DataLayer): Operations {
  return {
    listWorkspaces: handle<ListWorkspacesData, ListWorkspacesResponse>(200, async ({ caller }) => ({
      items: await data.workspaces.list(caller),
    })),
    getWorkspace: handle<GetWorkspaceData, GetWorkspaceResponse>(200, ({ caller, path }) => data.workspaces.get(caller, path.id)),
  };
}
