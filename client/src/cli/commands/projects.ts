// alumia projects: list, get, create, update and delete projects; list, add, change, move and remove their blocks.
import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import type { Block, BlockType, Project } from '../../client.js';
import { contextOf, type Io } from '../context.js';
import { UsageError } from '../exit.js';
import { printList } from '../listing.js';
import { example, jsonObject, listOptions, nullable, positiveInt } from '../options.js';
import { fields, oneLine, relativeTime, table, when, type Colors } from '../output.js';

const BLOCK_TYPES = ['text', 'heading', 'code', 'image', 'agent', 'session'] as const satisfies readonly BlockType[];
/** The content fields there are options for, each named like the field (`--agent-id` sets `agentId`). */
const CONTENT_KEYS = ['text', 'level', 'code', 'language', 'url', 'alt', 'agentId', 'sessionId'] as const;
const PROJECT = "the project's slug or UUID";
const BLOCK = "the block's UUID";
const EXAMPLE_BLOCK = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';

/** The options of `projects create` and `projects update` (parsed by jsonObject). */
interface ProjectOptions {
  name?: string;
  slug?: string;
  description?: string;
  metadata?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  idempotencyKey?: string;
}

/** The options of `projects blocks add` and `projects blocks update`: the type, the content's fields, the place. */
interface BlockOptions {
  type?: BlockType;
  content?: Record<string, unknown>;
  text?: string;
  level?: number;
  code?: string;
  language?: string;
  url?: string;
  alt?: string;
  agentId?: string;
  sessionId?: string;
  after?: string;
  first?: boolean;
  idempotencyKey?: string;
}

const text = (value: unknown) => (typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value));

function projectsTable(c: Colors, projects: Project[]) {
  return table(
    c,
    ['SLUG', 'NAME', 'DESCRIPTION', 'UPDATED'],
    projects.map((p) => [c.cyan(p.slug), oneLine(p.name, 40), oneLine(p.description, 50), relativeTime(p.updatedAt)]),
  );
}

function projectFields(c: Colors, p: Project) {
  return fields(c, [
    ['ID', p.id],
    ['Slug', c.cyan(p.slug)],
    ['Name', p.name],
    ['Description', p.description ?? '-'],
    ['Workspace', p.workspaceId ?? 'organization-wide'],
    ['Metadata', JSON.stringify(p.metadata)],
    ['Settings', JSON.stringify(p.settings)],
    ['Created', when(c, p.createdAt)],
    ['Updated', when(c, p.updatedAt)],
  ]);
}

/** A block's content on one line: the text, `## heading`, `[language] code`, the image URL or the reference. */
function summary(b: Block, max = 70): string {
  const k = b.content;
  if (b.type === 'heading') return oneLine(`${'#'.repeat(Number(k.level) || 1)} ${text(k.text)}`, max);
  if (b.type === 'code') return oneLine(`${k.language ? `[${text(k.language)}] ` : ''}${text(k.code)}`, max);
  if (b.type === 'image') return oneLine(`${text(k.url)}${k.alt ? ` (${text(k.alt)})` : ''}`, max);
  if (b.type === 'agent') return `agent ${text(k.agentId)}`;
  if (b.type === 'session') return `session ${text(k.sessionId)}`;
  return oneLine(text(k.text), max);
}

function blocksTable(c: Colors, blocks: Block[]) {
  return table(
    c,
    ['ID', 'TYPE', 'CONTENT', 'UPDATED'],
    blocks.map((b) => [b.id, b.type, summary(b), relativeTime(b.updatedAt)]),
  );
}

function blockFields(c: Colors, b: Block) {
  return fields(c, [
    ['ID', b.id],
    ['Project', b.projectId],
    ['Type', b.type],
    ['Content', summary(b, 100)],
    ['Position', b.position],
    ['Created', when(c, b.createdAt)],
    ['Updated', when(c, b.updatedAt)],
  ]);
}

/** The content the flags describe: `--content` as it is, or an object of the field flags given; undefined for none. */
function contentOf(o: BlockOptions): Record<string, unknown> | undefined {
  const flags = Object.fromEntries(CONTENT_KEYS.flatMap((key) => (o[key] === undefined ? [] : [[key, o[key]]])));
  const given = Object.keys(flags).length > 0;
  if (o.content && given) throw new UsageError('give the content either as --content <json> or as field options, not both');
  return o.content ?? (given ? flags : undefined);
}

/** `--after <blockId>` or `--first`; nothing when neither is given. */
const placement = (o: BlockOptions) => (o.first ? { afterBlockId: null } : o.after !== undefined ? { afterBlockId: o.after } : {});

function blockOptions(cmd: Command): Command {
  return cmd
    .option('--text <text>', 'the text of a text or heading block')
    .option('--level <n>', 'the level of a heading, 1 to 6', positiveInt(6))
    .option('--code <code>', 'the code of a code block')
    .option('--language <name>', 'the language of a code block, e.g. ts')
    .option('--url <url>', 'the https:// or data:image/... URL of an image block')
    .option('--alt <text>', 'the alt text of an image block')
    .option('--agent-id <uuid>', 'the agent of an agent block')
    .option('--session-id <uuid>', 'the session of a session block')
    .option('--content <json>', 'the whole content as a JSON object, instead of the options above', jsonObject)
    .addOption(new Option('--after <blockId>', 'place it right after this block').conflicts('first'))
    .option('--first', 'place it first on the canvas');
}

/** Adds the group to `program` and returns it. */
export function addProjectsCommands(program: Command, io: Io): Command {
  const projects = program
    .command('projects')
    .description('List, read, create, change and delete projects, and the blocks of their canvas')
    .addHelpText('after', example('alumia projects list', 'alumia projects blocks list q3-roadmap'));

  listOptions(projects.command('list').description('List projects, most recently updated first'))
    .addHelpText('after', example('alumia projects list', 'alumia projects list --limit 10 --json'))
    .action(async (opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const client = ctx.client();
      await printList(
        ctx,
        (p) => client.projects.listPage(p),
        opts,
        (items) => projectsTable(ctx.c, items),
        'projects',
        'alumia projects list',
      );
    });

  projects
    .command('get')
    .description('Show one project')
    .argument('<project>', PROJECT)
    .addHelpText('after', example('alumia projects get q3-roadmap'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const project = await ctx.client().projects.get(id);
      ctx.print(project, () => projectFields(ctx.c, project));
    });

  projects
    .command('create')
    .description('Create a project in your current workspace')
    .requiredOption('--name <name>', 'display name (the slug is derived from it)')
    .option('--description <text>', 'what the project is for')
    .option('--metadata <json>', 'metadata as a JSON object', jsonObject)
    .option('--settings <json>', 'settings as a JSON object', jsonObject)
    .option('--idempotency-key <key>', 'Idempotency-Key to send (default: a fresh UUID, so retries never create twice)')
    .addHelpText('after', example('alumia projects create --name "Q3 Roadmap" --description "What we ship this quarter."'))
    .action(async (opts: ProjectOptions & { name: string }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const project = await ctx.client().projects.create(
        {
          name: opts.name,
          ...(opts.description !== undefined && { description: opts.description }),
          ...(opts.metadata !== undefined && { metadata: opts.metadata }),
          ...(opts.settings !== undefined && { settings: opts.settings }),
        },
        { idempotencyKey: opts.idempotencyKey ?? randomUUID() },
      );
      ctx.print(project, () => `Created project ${ctx.c.cyan(project.slug)} (${project.id})\n${projectFields(ctx.c, project)}`);
    });

  projects
    .command('update')
    .description('Change fields of a project (only the ones given)')
    .argument('<project>', PROJECT)
    .option('--name <name>', 'new display name (the slug stays)')
    .option('--slug <slug>', 'new slug')
    .option('--description <text>', "new description; '' clears it")
    .option('--metadata <json>', 'the whole new metadata object', jsonObject)
    .option('--settings <json>', 'the whole new settings object', jsonObject)
    .addHelpText('after', example('alumia projects update q3-roadmap --name "Q3 Roadmap (final)" --slug q3-final'))
    .action(async (id: string, opts: ProjectOptions, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const changes = {
        ...(opts.name !== undefined && { name: opts.name }),
        ...(opts.slug !== undefined && { slug: opts.slug }),
        ...(opts.description !== undefined && { description: nullable(opts.description) }),
        ...(opts.metadata !== undefined && { metadata: opts.metadata }),
        ...(opts.settings !== undefined && { settings: opts.settings }),
      };
      if (Object.keys(changes).length === 0)
        throw new UsageError('nothing to update: give at least one option, see alumia projects update --help');
      const project = await ctx.client().projects.update(id, changes);
      ctx.print(project, () => `Updated project ${ctx.c.cyan(project.slug)}\n${projectFields(ctx.c, project)}`);
    });

  projects
    .command('delete')
    .description('Delete a project and its canvas')
    .argument('<project>', PROJECT)
    .addHelpText('after', example('alumia projects delete q3-roadmap'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const result = await ctx.client().projects.delete(id);
      ctx.print(result, () => `Deleted project ${id}`);
    });

  addBlocksCommands(projects, io);
  return projects;
}

function addBlocksCommands(projects: Command, io: Io) {
  const blocks = projects
    .command('blocks')
    .description("List, add, change, move and remove the blocks of a project's canvas")
    .addHelpText('after', example('alumia projects blocks list q3-roadmap', 'alumia projects blocks add q3-roadmap --type text --text Hi'));
  blocks.action(() => blocks.help({ error: true }));

  listOptions(blocks.command('list').description("List a project's blocks in canvas order").argument('<project>', PROJECT))
    .addHelpText('after', example('alumia projects blocks list q3-roadmap'))
    .action(async (project: string, opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const client = ctx.client();
      await printList(
        ctx,
        (p) => client.projects.blocks.listPage(project, p),
        opts,
        (items) => blocksTable(ctx.c, items),
        'blocks',
        `alumia projects blocks list ${project}`,
      );
    });

  blockOptions(
    blocks
      .command('add')
      .description('Add a block: last, first (--first) or right after another (--after)')
      .argument('<project>', PROJECT)
      .addOption(new Option('--type <type>', 'what the block shows').choices(BLOCK_TYPES).makeOptionMandatory()),
  )
    .option('--idempotency-key <key>', 'Idempotency-Key to send (default: a fresh UUID)')
    .addHelpText(
      'after',
      example(
        'alumia projects blocks add q3-roadmap --type heading --text Goals --level 2 --first',
        `alumia projects blocks add q3-roadmap --type code --code "npm test" --language sh --after ${EXAMPLE_BLOCK}`,
      ),
    )
    .action(async (project: string, opts: BlockOptions & { type: BlockType }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const content = contentOf(opts);
      if (!content) throw new UsageError('no content: give --text, --code, --url, --agent-id, --session-id or --content');
      const body = { type: opts.type, content, ...placement(opts) };
      const block = await ctx.client().projects.blocks.create(project, body, { idempotencyKey: opts.idempotencyKey ?? randomUUID() });
      ctx.print(block, () => `Added block ${block.id}\n${blockFields(ctx.c, block)}`);
    });

  blockOptions(
    blocks
      .command('update')
      .description('Change the content (and type) of a block, move it (--after, --first), or both')
      .argument('<project>', PROJECT)
      .argument('<blockId>', BLOCK)
      .addOption(new Option('--type <type>', 'a new type (give the content of that type too)').choices(BLOCK_TYPES)),
  )
    .addHelpText('after', example(`alumia projects blocks update q3-roadmap ${EXAMPLE_BLOCK} --text "New text" --first`))
    .action(async (project: string, blockId: string, opts: BlockOptions, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const content = contentOf(opts);
      const changes = { ...(opts.type && { type: opts.type }), ...(content && { content }), ...placement(opts) };
      if (Object.keys(changes).length === 0)
        throw new UsageError('nothing to update: give content options, --type, --after or --first (see --help)');
      const block = await ctx.client().projects.blocks.update(project, blockId, changes);
      ctx.print(block, () => `Updated block ${block.id}\n${blockFields(ctx.c, block)}`);
    });

  blocks
    .command('remove')
    .description('Remove a block from the canvas')
    .argument('<project>', PROJECT)
    .argument('<blockId>', BLOCK)
    .addHelpText('after', example(`alumia projects blocks remove q3-roadmap ${EXAMPLE_BLOCK}`))
    .action(async (project: string, blockId: string, _opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const result = await ctx.client().projects.blocks.delete(project, blockId);
      ctx.print(result, () => `Removed block ${blockId}`);
    });
}
