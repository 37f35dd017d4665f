// alumia models: the model catalog.
import type { Command } from 'commander';
import { contextOf, type Io } from '../context.js';
import { example } from '../options.js';
import { table } from '../output.js';

/** Adds the group to `program` and returns it. */
export function addModelsCommands(program: Command, io: Io): Command {
  const models = program.command('models').description('The model catalog').addHelpText('after', example('alumia models list'));
  models
    .command('list')
    .description('List the models an agent can run on')
    .addHelpText('after', example('alumia models list', 'alumia models list --json'))
    .action(async (_opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const { items } = await ctx.client().models.list();
      if (ctx.json) return ctx.out(JSON.stringify(items, null, 2));
      ctx.out(
        table(
          ctx.c,
          ['ID', 'NAME', 'PROVIDER', 'CONTEXT', 'DEFAULT'],
          items.map((m) => [m.id, m.name, m.provider, m.contextWindow.toLocaleString('en-US'), m.isDefault ? ctx.c.green('yes') : '']),
        ),
      );
    });
  return models;
}
