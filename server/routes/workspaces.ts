import { Router } from 'express';
import type { GetWorkspaceData, GetWorkspaceResponse, ListWorkspacesData, ListWorkspacesResponse } from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle } from './handler.js';

// Creating and deleting workspaces is browser-only: the browser-only plugin answers those operations.
export function workspaceRoutes(data: DataLayer): Router {
  return Router()
    .get('/workspaces', handle<ListWorkspacesData, ListWorkspacesResponse>(200, async ({ caller }) => ({ items: await data.workspaces.list(caller) })))
    .get('/workspaces/:id', handle<GetWorkspaceData, GetWorkspaceResponse>(200, ({ caller, path }) => data.workspaces.get(caller, path.id)));
}
