// alumia dashboard: summaries of the organization.
import type { Command } from 'commander';
import { contextOf, type Io } from '../context.js';
import { example } from '../options.js';
import { fields } from '../output.js';
import { agentsTable } from '../views.js';

/** Adds the group to `program` and returns it. */
export function addDashboardCommands(program: Command, io: Io): Command {
  const dashboard = program
    .command('dashboard')
    .description('Summaries of your organization')
    .addHelpText('after', example('alumia dashboard overview'));
  dashboard
    .command('overview')
    .description('Counts of agents, sessions, recent messages and keys, and the recently updated agents')
    .addHelpText('after', example('alumia dashboard overview', 'alumia dashboard overview --json'))
    .action(async (_opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const o = await ctx.client().dashboard.overview();
      ctx.print(o, () =>
        [
          fields(ctx.c, [
            ['Agents', `${o.agents.total} (${o.agents.active} active)`],
            ['Sessions', String(o.sessions)],
            ['Messages, last 24 h', String(o.messagesLast24h)],
            ['Active API keys', String(o.activeApiKeys)],
          ]),
          '',
          ctx.c.bold('Recently updated agents'),
          o.recentAgents.length ? agentsTable(ctx.c, o.recentAgents) : ctx.c.dim('No agents.'),
        ].join('\n'),
      );
    });
  return dashboard;
}
