// login, logout and whoami: the commands that manage the stored key rather than a resource of the API.
import type { Command } from 'commander';
import { contextOf, type Io } from '../context.js';
import { removeCredentials, writeCredentials } from '../credentials.js';
import { UsageError } from '../exit.js';
import { example } from '../options.js';
import { promptKey } from '../stdin.js';
import { deviceLogin } from './login-web.js';
import { meFields } from '../views.js';

export function addAuthCommands(program: Command, io: Io): void {
  program
    .command('login')
    .description('Check an API key with GET /me and store it, with the server, for later commands')
    .addHelpText(
      'after',
      `\nThe key is asked for (hidden) or read from stdin, unless --api-key is given. It is stored in\n$XDG_CONFIG_HOME/alumia/credentials.json (default ~/.config/alumia/credentials.json) with mode 0600.\n${example('alumia login --base-url http://localhost:3000', 'alumia login --web --base-url https://alumia.example.com', 'echo "$KEY" | alumia login --base-url https://alumia.example.com')}`,
    )
    .option('--web', 'sign in through the dashboard instead (device login): open the printed link and approve')
    .action(async (opts: { web?: boolean }, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const baseUrl = ctx.baseUrl();
      const apiKey = opts.web ? await deviceLogin(ctx) : ctx.opts.apiKey?.trim() || (await promptKey(io));
      if (!apiKey) throw new UsageError('no API key given: pass --api-key or type it at the prompt');
      const me = await ctx.client(apiKey).me();
      const file = ctx.credentialsFile;
      writeCredentials(file, { apiKey, baseUrl, savedAt: new Date().toISOString() });
      ctx.print(me, () => `Logged in to ${baseUrl} as ${ctx.c.bold(me.user.email)} (${me.org.slug}, ${me.role}). Key stored in ${file}`);
    });

  program
    .command('logout')
    .description('Forget the stored API key (the key itself stays valid; revoke it with alumia keys revoke)')
    .addHelpText('after', example('alumia logout'))
    .action((_opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const removed = removeCredentials(ctx.credentialsFile);
      ctx.print({ loggedOut: removed }, () => (removed ? `Logged out: removed ${ctx.credentialsFile}` : 'Not logged in.'));
    });

  program
    .command('whoami')
    .description('Show the user, organization, role and key behind the API key in use')
    .addHelpText('after', example('alumia whoami', 'alumia whoami --json'))
    .action(async (_opts, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const me = await ctx.client().me();
      ctx.print(me, () => meFields(ctx.c, me, ctx.baseUrl()));
    });
}
