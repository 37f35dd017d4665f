import type {
  CreateBlockData,
  CreateBlockResponse,
  CreateProjectData,
  CreateProjectResponse,
  DeleteBlockData,
  DeleteBlockResponse,
  DeleteProjectData,
  DeleteProjectResponse,
  GetProjectData,
  GetProjectResponse,
  ListBlocksData,
  ListBlocksResponse,
  ListProjectsData,
  ListProjectsResponse,
  UpdateBlockData,
  UpdateBlockResponse,
  UpdateProjectData,
  UpdateProjectResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle, type Operations } from './handler.js';

// createProjectShareLink is browser-only: the pipeline refuses every API key before a handler would run.
export function projectOperations({ projects, blocks }: DataLayer): Operations {
  return {
    listProjects: handle<ListProjectsData, ListProjectsResponse>(200, ({ caller, query }) => projects.list(caller, query)),
    createProject: handle<CreateProjectData, CreateProjectResponse>(201, ({ caller, body }) => projects.create(caller, body)),
    getProject: handle<GetProjectData, GetProjectResponse>(200, ({ caller, path }) => projects.get(caller, path.id)),
    updateProject: handle<UpdateProjectData, UpdateProjectResponse>(200, ({ caller, path, body }) =>
      projects.update(caller, path.id, body),
    ),
    deleteProject: handle<DeleteProjectData, DeleteProjectResponse>(200, ({ caller, path }) => projects.remove(caller, path.id)),
    listBlocks: handle<ListBlocksData, ListBlocksResponse>(200, ({ caller, path, query }) => blocks.list(caller, path.id, query)),
    createBlock: handle<CreateBlockData, CreateBlockResponse>(201, ({ caller, path, body }) => blocks.create(caller, path.id, body)),
    updateBlock: handle<UpdateBlockData, UpdateBlockResponse>(200, ({ caller, path, body }) =>
      blocks.update(caller, path.id, path.blockId, body),
    ),
    deleteBlock: handle<DeleteBlockData, DeleteBlockResponse>(200, ({ caller, path }) => blocks.remove(caller, path.id, path.blockId)),
  };
}
