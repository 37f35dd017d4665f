// alumia sessions: list, get, create, update and delete sessions, and list and post their messages.
import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import { contextOf, type Io } from '../context.js';
import { UsageError } from '../exit.js';
import { printList } from '../listing.js';
import { csv, example, jsonObject, listOptions, nullable } from '../options.js';
import { oneLine, relativeTime, table } from '../output.js';
import { readStdin } from '../stdin.js';
import { sessionFields, sessionsTable } from '../views.js';

const RELATIONSHIPS = ['direct', 'group', 'peer'] as const;
type Relationship = (typeof RELATIONSHIPS)[number];
/** The options of `sessions list` and `sessions create` as commander hands them over. */
type ListSessionsOptions = { limit?: number; cursor?: string; agent?: string; project?: string; relationship?: Relationship };
type CreateSessionOptions = { agents: string[]; title?: string; project?: string; relationship?: Relationship; idempotencyKey?: string };

/** Adds the group to `program` and returns it. */
export function addSessionsCommands(program: Command, io: Io): Command {
  const sessions = program
    .command('sessions')
    .description('List, read, open and delete sessions, and their messages')
    .addHelpText('after', example('alumia sessions list', 'alumia sessions create --agents ala,research-assistant --title "Weekly sync"'));

  listOptions(sessions.command('list').description('List sessions, most recently updated first'))
    .option('--agent <agent>', 'only sessions this agent (slug or UUID) takes part in')
    .option('--project <project>', 'only sessions of this project (slug or UUID)')
    .addOption(new Option('--relationship <kind>', 'only sessions of this kind').choices(RELATIONSHIPS))
    .addHelpText('after', example('alumia sessions list --limit 20', 'alumia sessions list --agent ala --relationship direct'))
    .action(async (opts: ListSessionsOptions, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const client = ctx.client();
      const filters = {
        ...(opts.agent && { agentId: opts.agent }),
        ...(opts.project && { projectId: opts.project }),
        ...(opts.relationship && { relationship: opts.relationship }),
      };
      await printList(
        ctx,
        (p) => client.sessions.listPage({ ...p, ...filters }),
        opts,
        (items) => sessionsTable(ctx.c, items),
        'sessions',
        'alumia sessions list',
      );
    });

  sessions
    .command('get')
    .description('Show one session')
    .argument('<id>', "the session's UUID")
    .addHelpText('after', example('alumia sessions get 4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const session = await ctx.client().sessions.get(id);
      ctx.print(session, () => sessionFields(ctx.c, session));
    });

  sessions
    .command('create')
    .description('Open a session with 1 to 20 agents in your current workspace')
    .requiredOption('--agents <agents>', 'comma-separated agent slugs or UUIDs', csv)
    .option('--title <title>', 'a title')
    .option('--project <project>', 'the project (slug or UUID) the session belongs to')
    .addOption(new Option('--relationship <kind>', 'who talks in the session').choices(RELATIONSHIPS))
    .option('--idempotency-key <key>', 'Idempotency-Key to send (default: a fresh UUID)')
    .addHelpText('after', example('alumia sessions create --agents ala,research-assistant --title "Weekly sync" --relationship peer'))
    .action(async (opts: CreateSessionOptions, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const session = await ctx.client().sessions.create(
        {
          agentIds: opts.agents,
          ...(opts.title !== undefined && { title: opts.title }),
          ...(opts.project !== undefined && { projectId: opts.project }),
          ...(opts.relationship && { metadata: { relationship: opts.relationship } }),
        },
        { idempotencyKey: opts.idempotencyKey ?? randomUUID() },
      );
      ctx.print(session, () => `Created session ${session.id}\n${sessionFields(ctx.c, session)}`);
    });

  sessions
    .command('update')
    .description("Change a session's title or project, or replace its metadata")
    .argument('<id>', "the session's UUID")
    .option('--title <title>', "new title; '' clears it")
    .option('--project <project>', "move it into this project (slug or UUID); '' takes it out of its project")
    .option('--metadata <json>', 'the whole new metadata object (keys left out are dropped)', jsonObject)
    .addHelpText('after', example('alumia sessions update 4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b --title "Weekly sync, March"'))
    .action(async (id: string, opts: { title?: string; project?: string; metadata?: Record<string, unknown> }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const changes = {
        ...(opts.title !== undefined && { title: nullable(opts.title) }),
        ...(opts.project !== undefined && { projectId: nullable(opts.project) }),
        ...(opts.metadata !== undefined && { metadata: opts.metadata }),
      };
      if (Object.keys(changes).length === 0) throw new UsageError('nothing to update: give --title, --project or --metadata');
      const session = await ctx.client().sessions.update(id, changes);
      ctx.print(session, () => `Updated session ${session.id}\n${sessionFields(ctx.c, session)}`);
    });

  sessions
    .command('delete')
    .description('Delete a session')
    .argument('<id>', "the session's UUID")
    .addHelpText('after', example('alumia sessions delete 4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const result = await ctx.client().sessions.delete(id);
      ctx.print(result, () => `Deleted session ${id}`);
    });

  listOptions(sessions.command('messages').description("List a session's messages, oldest first").argument('<id>', "the session's UUID"))
    .addHelpText('after', example('alumia sessions messages 4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b'))
    .action(async (id: string, opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const client = ctx.client();
      await printList(
        ctx,
        (p) => client.sessions.messagesPage(id, p),
        opts,
        (items) =>
          table(
            ctx.c,
            ['WHEN', 'AUTHOR', 'MESSAGE'],
            items.map((m) => [
              relativeTime(m.createdAt),
              m.agentId ? `agent ${m.agentId}` : `user ${m.userId ?? '?'}`,
              oneLine(m.content, 80),
            ]),
          ),
        'messages',
        `alumia sessions messages ${id}`,
      );
    });

  sessions
    .command('post')
    .description('Post a message to a session, as you or as one of its agents')
    .argument('<id>', "the session's UUID")
    .argument('[content...]', 'the message; read from stdin when omitted or -')
    .option('--agent <agent>', 'post as this agent (slug or UUID) of the session')
    .option('--idempotency-key <key>', 'Idempotency-Key to send (default: a fresh UUID)')
    .addHelpText(
      'after',
      example(
        'alumia sessions post 4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b "Here is the summary."',
        'cat notes.md | alumia sessions post 4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b --agent research-assistant',
      ),
    )
    .action(async (id: string, words: string[], opts: { agent?: string; idempotencyKey?: string }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const content = words.length === 0 || (words.length === 1 && words[0] === '-') ? await readStdin(io) : words.join(' ');
      if (!content.trim()) throw new UsageError('no message: give it as arguments or on stdin');
      const message = await ctx
        .client()
        .sessions.postMessage(
          id,
          { content, ...(opts.agent && { agentId: opts.agent }) },
          { idempotencyKey: opts.idempotencyKey ?? randomUUID() },
        );
      ctx.print(message, () => `Posted message ${message.id}`);
    });
  return sessions;
}
