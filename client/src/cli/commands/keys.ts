// alumia keys: list, create (the secret is shown once) and revoke API keys.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { ApiKey } from '../../client.js';
import { contextOf, type Io } from '../context.js';
import { printList } from '../listing.js';
import { csv, example, listOptions } from '../options.js';
import { keyFields, keysTable } from '../views.js';

/** Adds the group to `program` and returns it. */
export function addKeysCommands(program: Command, io: Io): Command {
  const keys = program
    .command('keys')
    .description('List, mint and revoke API keys')
    .addHelpText('after', example('alumia keys list', 'alumia keys create --name "CI deploys" --scopes agents:read,agents:write'));

  listOptions(keys.command('list').description('List API keys, newest first, revoked and expired ones included'))
    .addHelpText('after', example('alumia keys list'))
    .action(async (opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const client = ctx.client();
      await printList(
        ctx,
        (p) => client.apiKeys.listPage(p),
        opts,
        (items) => keysTable(ctx.c, items),
        'API keys',
        'alumia keys list',
      );
    });

  keys
    .command('create')
    .description('Mint an API key for you; the key is printed once')
    .requiredOption('--name <name>', 'a label to recognise the key by')
    .option('--scopes <scopes>', 'comma-separated scopes (default: those of the key in use)', csv)
    .option('--expires-at <iso>', 'when the key stops working, e.g. 2027-01-01T00:00:00Z')
    .option('--idempotency-key <key>', 'Idempotency-Key to send (default: a fresh UUID)')
    .addHelpText(
      'after',
      example('alumia keys create --name "CI deploys" --scopes agents:read,agents:write --expires-at 2027-01-01T00:00:00Z'),
    )
    .action(async (opts: { name: string; scopes?: string[]; expiresAt?: string; idempotencyKey?: string }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const created = await ctx.client().apiKeys.create(
        {
          name: opts.name,
          ...(opts.scopes && { scopes: opts.scopes as ApiKey['scopes'] }),
          ...(opts.expiresAt && { expiresAt: opts.expiresAt }),
        },
        { idempotencyKey: opts.idempotencyKey ?? randomUUID() },
      );
      ctx.print(
        created,
        () => `${ctx.c.bold(created.key)}\n${ctx.c.yellow('Store this key now: it is not shown again.')}\n${keyFields(ctx.c, created)}`,
      );
    });

  keys
    .command('revoke')
    .description('Revoke an API key by id; it stops working at once')
    .argument('<id>', "the key's id (see alumia keys list)")
    .addHelpText('after', example('alumia keys revoke 7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const key = await ctx.client().apiKeys.revoke(id);
      ctx.print(key, () => `Revoked key ${key.prefix}… (${key.name})`);
    });
  return keys;
}
