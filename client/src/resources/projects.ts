import * as sdk from '../../../generated/sdk/index.js';
import { base, idempotency, type CallOptions, type CreateOptions, type Transport, unwrap } from '../call.js';
import { PageIterator, type PageParams } from '../pagination.js';
import type { Block, CreateBlockInput, CreateProjectInput, DataOf, Project, UpdateBlockInput, UpdateProjectInput } from '../types.js';

/** A project's canvas blocks: `project` is always the project's UUID or its slug, `blockId` a block's UUID. */
export class Blocks {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Every block of the project in canvas order, following pages as you iterate (`limit` is the page size). */
  list(project: string, params: PageParams = {}, options?: CallOptions): PageIterator<Block> {
    return new PageIterator((p) => this.listPage(project, p, options), params);
  }

  /** One page of the project's blocks, in canvas order. */
  listPage(project: string, params: PageParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListBlocksResponse>> {
    return unwrap(sdk.listBlocks({ ...base(this.#t, options), path: { id: project }, query: params }));
  }

  /** Adds a block right after `afterBlockId`, first when it is null, last when it is absent. */
  create(project: string, body: CreateBlockInput, options?: CreateOptions): Promise<DataOf<sdk.CreateBlockResponse>> {
    return unwrap(sdk.createBlock({ ...base(this.#t, options), ...idempotency(options), path: { id: project }, body }));
  }

  /** Changes the block's content (and type), moves it right after `afterBlockId` (first when null), or both. */
  update(project: string, blockId: string, changes: UpdateBlockInput, options?: CallOptions): Promise<DataOf<sdk.UpdateBlockResponse>> {
    return unwrap(sdk.updateBlock({ ...base(this.#t, options), path: { id: project, blockId }, body: changes }));
  }

  delete(project: string, blockId: string, options?: CallOptions): Promise<DataOf<sdk.DeleteBlockResponse>> {
    return unwrap(sdk.deleteBlock({ ...base(this.#t, options), path: { id: project, blockId } }));
  }
}

/**
 * A project's share links: a read-only public page at `url`. Creating and revoking one is browser-only
 * (a dashboard session with step-up; API keys get 403); listing never shows the token again.
 */
export class ShareLinks {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Mints a link; its `url` (with the token) is in this answer only. */
  create(
    project: string,
    body: { expiresAt?: string | null } = {},
    options?: CreateOptions,
  ): Promise<DataOf<sdk.CreateProjectShareLinkResponse>> {
    return unwrap(sdk.createProjectShareLink({ ...base(this.#t, options), ...idempotency(options), path: { id: project }, body }));
  }

  list(project: string, options?: CallOptions): Promise<DataOf<sdk.ListProjectShareLinksResponse>> {
    return unwrap(sdk.listProjectShareLinks({ ...base(this.#t, options), path: { id: project } }));
  }

  /** Stops the link at once; revoking it again answers the same. */
  revoke(project: string, linkId: string, options?: CallOptions): Promise<DataOf<sdk.RevokeProjectShareLinkResponse>> {
    return unwrap(sdk.revokeProjectShareLink({ ...base(this.#t, options), path: { id: project, linkId } }));
  }
}

/** Projects of the current workspace: `id` is always the project's UUID or its slug. Their canvas is `blocks`. */
export class Projects {
  readonly #t: Transport;
  /** The blocks of a project's canvas: `projects.blocks.list(project)`, `create`, `update`, `delete`. */
  readonly blocks: Blocks;
  /** Its share links: `projects.shareLinks.create(project)`, `list`, `revoke`. */
  readonly shareLinks: ShareLinks;
  constructor(t: Transport) {
    this.#t = t;
    this.blocks = new Blocks(t);
    this.shareLinks = new ShareLinks(t);
  }

  /** Every project, following pages as you iterate (`limit` is the page size). */
  list(params: PageParams = {}, options?: CallOptions): PageIterator<Project> {
    return new PageIterator((p) => this.listPage(p, options), params);
  }

  /** One page of projects, most recently updated first. */
  listPage(params: PageParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListProjectsResponse>> {
    return unwrap(sdk.listProjects({ ...base(this.#t, options), query: params }));
  }

  get(id: string, options?: CallOptions): Promise<DataOf<sdk.GetProjectResponse>> {
    return unwrap(sdk.getProject({ ...base(this.#t, options), path: { id } }));
  }

  /** Creates a project in the current workspace; its slug is derived from the name. */
  create(body: CreateProjectInput, options?: CreateOptions): Promise<DataOf<sdk.CreateProjectResponse>> {
    return unwrap(sdk.createProject({ ...base(this.#t, options), ...idempotency(options), body }));
  }

  /** Changes only the fields present in `changes` (renaming keeps the slug; send `slug` for that). */
  update(id: string, changes: UpdateProjectInput, options?: CallOptions): Promise<DataOf<sdk.UpdateProjectResponse>> {
    return unwrap(sdk.updateProject({ ...base(this.#t, options), path: { id }, body: changes }));
  }

  /** Soft-deletes the project (its blocks with it); deleting it again answers the same. */
  delete(id: string, options?: CallOptions): Promise<DataOf<sdk.DeleteProjectResponse>> {
    return unwrap(sdk.deleteProject({ ...base(this.#t, options), path: { id } }));
  }
}
