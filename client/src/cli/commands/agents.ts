// alumia agents: list, get, create, update, delete, and an agent's sessions, messages and peers.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { contextOf, type Io } from '../context.js';
import { UsageError } from '../exit.js';
import { printList } from '../listing.js';
import { bool, csv, example, jsonObject, listOptions, nullable, positiveInt } from '../options.js';
import { oneLine, relativeTime, table } from '../output.js';
import { agentFields, agentsTable, sessionsTable } from '../views.js';

/** The options of `agents create` as commander hands them over (camelCased, parsed by csv and jsonObject). */
interface CreateAgentOptions {
  name: string;
  description?: string;
  model?: string;
  systemPrompt?: string;
  avatar?: string;
  allowedTools?: string[];
  allowedPeers?: string[];
  allowedConnectors?: string[];
  settings?: Record<string, unknown>;
  idempotencyKey?: string;
}

/** The options of `agents update` as commander hands them over (parsed by bool and jsonObject). */
interface UpdateAgentOptions {
  name?: string;
  slug?: string;
  description?: string;
  systemPrompt?: string;
  model?: string;
  avatar?: string;
  active?: boolean;
  settings?: Record<string, unknown>;
}

/** Adds the group to `program` and returns it. */
export function addAgentsCommands(program: Command, io: Io): Command {
  const agents = program
    .command('agents')
    .description('List, read, create, change and delete agents')
    .addHelpText('after', example('alumia agents list', 'alumia agents get research-assistant'));

  listOptions(agents.command('list').description('List agents, most recently updated first'))
    .addHelpText('after', example('alumia agents list', 'alumia agents list --limit 10 --json'))
    .action(async (opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const client = ctx.client();
      await printList(
        ctx,
        (p) => client.agents.listPage(p),
        opts,
        (items) => agentsTable(ctx.c, items),
        'agents',
        'alumia agents list',
      );
    });

  agents
    .command('get')
    .description('Show one agent')
    .argument('<agent>', "the agent's slug or UUID")
    .addHelpText('after', example('alumia agents get research-assistant'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const agent = await ctx.client().agents.get(id);
      ctx.print(agent, () => agentFields(ctx.c, agent));
    });

  agents
    .command('create')
    .description('Create an agent in your current workspace')
    .requiredOption('--name <name>', 'display name (the slug is derived from it)')
    .option('--description <text>', 'what the agent is for')
    .option('--model <id>', 'a model id from alumia models list (default: the catalog default)')
    .option('--system-prompt <text>', 'instructions the agent runs with')
    .option('--avatar <id>', 'avatar identifier')
    .option('--allowed-tools <slugs>', 'comma-separated tool slugs', csv)
    .option('--allowed-peers <slugs>', 'comma-separated agent slugs it may message', csv)
    .option('--allowed-connectors <slugs>', 'comma-separated connector slugs', csv)
    .option('--settings <json>', 'settings as a JSON object, e.g. \'{"voice":{"voiceId":"nova"}}\'', jsonObject)
    .option('--idempotency-key <key>', 'Idempotency-Key to send (default: a fresh UUID, so retries never create twice)')
    .addHelpText('after', example('alumia agents create --name "Research Assistant" --system-prompt "You help with literature reviews."'))
    .action(async (opts: CreateAgentOptions, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const agent = await ctx.client().agents.create(
        {
          name: opts.name,
          ...(opts.description !== undefined && { description: opts.description }),
          ...(opts.model !== undefined && { model: opts.model }),
          ...(opts.systemPrompt !== undefined && { systemPrompt: opts.systemPrompt }),
          ...(opts.avatar !== undefined && { avatar: opts.avatar }),
          ...(opts.allowedTools !== undefined && { allowedTools: opts.allowedTools }),
          ...(opts.allowedPeers !== undefined && { allowedPeers: opts.allowedPeers }),
          ...(opts.allowedConnectors !== undefined && { allowedConnectors: opts.allowedConnectors }),
          ...(opts.settings !== undefined && { settings: opts.settings }),
        },
        { idempotencyKey: opts.idempotencyKey ?? randomUUID() },
      );
      ctx.print(agent, () => `Created agent ${ctx.c.cyan(agent.slug)} (${agent.id})\n${agentFields(ctx.c, agent)}`);
    });

  agents
    .command('update')
    .description('Change fields of an agent (only the ones given)')
    .argument('<agent>', "the agent's slug or UUID")
    .option('--name <name>', 'new display name (the slug stays)')
    .option('--slug <slug>', 'new slug')
    .option('--description <text>', "new description; '' clears it")
    .option('--system-prompt <text>', "new system prompt; '' clears it")
    .option('--model <id>', 'a model id from alumia models list')
    .option('--avatar <id>', 'avatar identifier')
    .option('--active <bool>', 'true or false', bool)
    .option('--settings <json>', 'settings as a JSON object', jsonObject)
    .addHelpText(
      'after',
      example(
        'alumia agents update research-assistant --name "Literature Scout"',
        'alumia agents update research-assistant --active false',
      ),
    )
    .action(async (id: string, opts: UpdateAgentOptions, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const changes = {
        ...(opts.name !== undefined && { name: opts.name }),
        ...(opts.slug !== undefined && { slug: opts.slug }),
        ...(opts.description !== undefined && { description: nullable(opts.description) }),
        ...(opts.systemPrompt !== undefined && { systemPrompt: nullable(opts.systemPrompt) }),
        ...(opts.model !== undefined && { model: opts.model }),
        ...(opts.avatar !== undefined && { avatar: opts.avatar }),
        ...(opts.active !== undefined && { isActive: opts.active }),
        ...(opts.settings !== undefined && { settings: opts.settings }),
      };
      if (Object.keys(changes).length === 0)
        throw new UsageError('nothing to update: give at least one option, see alumia agents update --help');
      const agent = await ctx.client().agents.update(id, changes);
      ctx.print(agent, () => `Updated agent ${ctx.c.cyan(agent.slug)}\n${agentFields(ctx.c, agent)}`);
    });

  agents
    .command('delete')
    .description('Delete an agent')
    .argument('<agent>', "the agent's slug or UUID")
    .addHelpText('after', example('alumia agents delete research-assistant'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const result = await ctx.client().agents.delete(id);
      ctx.print(result, () => `Deleted agent ${id}`);
    });

  listOptions(
    agents.command('sessions').description('List the sessions an agent takes part in').argument('<agent>', "the agent's slug or UUID"),
  )
    .addHelpText('after', example('alumia agents sessions ala'))
    .action(async (id: string, opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const client = ctx.client();
      await printList(
        ctx,
        (p) => client.agents.sessionsPage(id, p),
        opts,
        (items) => sessionsTable(ctx.c, items),
        'sessions',
        `alumia agents sessions ${id}`,
      );
    });

  agents
    .command('messages')
    .description("Show the most recent messages of an agent's peer sessions, newest first")
    .argument('<agent>', "the agent's slug or UUID")
    .option('--limit <n>', 'how many, 1 to 100 (default 50)', positiveInt(100))
    .addHelpText('after', example('alumia agents messages research-assistant --limit 20'))
    .action(async (id: string, opts: { limit?: number }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const { items } = await ctx.client().agents.messages(id, opts.limit === undefined ? {} : { limit: opts.limit });
      if (ctx.json) return ctx.out(JSON.stringify(items, null, 2));
      ctx.out(
        items.length
          ? table(
              ctx.c,
              ['WHEN', 'FROM', 'SESSION', 'MESSAGE'],
              items.map((m) => [
                relativeTime(m.createdAt),
                m.isSelf ? ctx.c.bold(m.fromAgentName) : m.fromAgentName,
                m.sessionId,
                oneLine(m.content),
              ]),
            )
          : ctx.c.dim('No messages.'),
      );
    });

  agents
    .command('peers')
    .description('List the agents an agent may message')
    .argument('<agent>', "the agent's slug or UUID")
    .addHelpText('after', example('alumia agents peers research-assistant'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const { items } = await ctx.client().agents.peers(id);
      if (ctx.json) return ctx.out(JSON.stringify(items, null, 2));
      ctx.out(items.length ? agentsTable(ctx.c, items) : ctx.c.dim('No peers.'));
    });
  return agents;
}
