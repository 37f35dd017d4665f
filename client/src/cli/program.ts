// The `alumia` command line, on commander: the program with its global options, one module per command
// group under commands/, and main(), which runs it and turns every failure into an exit code.
// Data goes to stdout, errors and hints to stderr.
// Exit codes: 0 ok, 1 API error, 2 usage error, 3 auth error (401, 403, no key), 4 network error,
// 130 interrupted (Ctrl-C during chat or mission-control --follow).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { addAgentsCommands } from './commands/agents.js';
import { addAuthCommands } from './commands/auth.js';
import { addBillingCommands } from './commands/billing.js';
import { addChatCommand } from './commands/chat.js';
import { addDashboardCommands } from './commands/dashboard.js';
import { addKeysCommands } from './commands/keys.js';
import { addMissionControlCommand } from './commands/mission-control.js';
import { addModelsCommands } from './commands/models.js';
import { addProjectsCommands } from './commands/projects.js';
import { addSessionsCommands } from './commands/sessions.js';
import { addWebhooksCommands } from './commands/webhooks.js';
import { quietOnBrokenPipe } from './broken-pipe.js';
import type { Io } from './context.js';
import { EXIT, reportFailure } from './exit.js';
import { example } from './options.js';

export type { Io } from './context.js';
export { EXIT } from './exit.js';

function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === '@alumia/client') return pkg.version ?? '0.0.0';
  }
  return '0.0.0';
}

export function buildProgram(io: Io): Command {
  const program = new Command('alumia');

  program
    .description(
      'Work with the Alumia API from a terminal: chat with agents; agents, sessions, projects, API keys, models, billing, webhooks.',
    )
    .version(packageVersion(), '-v, --version')
    .option('--json', "print the answer's data as JSON (lists: a JSON array of every item)")
    .option('--base-url <url>', 'the server, e.g. http://localhost:3000 (default: ALUMIA_BASE_URL, the stored one, http://localhost:3000)')
    .option('--api-key <key>', 'the API key (default: ALUMIA_API_KEY, then the key stored by alumia login)')
    .option('--no-color', 'no colours (also off when NO_COLOR is set or output is not a terminal)')
    .option('--debug', 'print stack traces of failures')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 API error, 2 usage error, 3 auth error (401, 403, no key), 4 network error,
130 interrupted (Ctrl-C during chat).
${example('alumia login --base-url http://localhost:3000', 'alumia agents list', 'alumia chat ala "Hello"', 'alumia agents create --name "Research Assistant" --json')}`,
    );

  // The order here is the order `alumia --help` lists the commands in.
  addAuthCommands(program, io);
  addChatCommand(program, io);
  addMissionControlCommand(program, io);
  const groups = [
    addAgentsCommands,
    addKeysCommands,
    addModelsCommands,
    addSessionsCommands,
    addProjectsCommands,
    addBillingCommands,
    addWebhooksCommands,
    addDashboardCommands,
  ].map((add) => add(program, io));

  // Every group without a subcommand shows its help and fails as a usage error.
  for (const group of groups) group.action(() => group.help({ error: true }));
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(io: Io): Promise<number> {
  quietOnBrokenPipe(io);
  try {
    await buildProgram(io).parseAsync(io.argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return reportFailure(error, io);
  }
}
