import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig, type Config } from './config.js';
import { bootstrap } from './data/bootstrap.js';
import { CreditStore } from './data/credits.js';
import { InquiryStore } from './data/inquiries.js';
import { openDatabase, type Database } from './db/database.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { parseCredits, toCreditAmount } from './domain/credits.js';
import { ApiError } from './errors.js';
import { PASSWORD_USAGE, isPasswordCommand, parsePasswordCommand, runPasswordCommand, type PasswordCommand } from './admin-passwords.js';
import { createLogger } from './logger.js';

const USAGE = `Usage:
  npm run --silent admin -- bootstrap --org <slug> --email <email> [--role owner|admin|member] [--workspace <slug>] --json
  npm run --silent admin -- credits grant --org <slug> --credits <n> [--note <text>] --json
  npm run --silent admin -- inquiries list [--since <ISO 8601 date or date-time with Z or an offset>] --json
${PASSWORD_USAGE}`;
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
// A date (midnight UTC) or a date-time that says its zone; zod checks the calendar too (no 2026-02-30).
const INSTANT = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

class UsageError extends Error {}

type Command =
  | { name: 'bootstrap'; orgSlug: string; email: string; role?: 'owner' | 'admin' | 'member'; workspaceSlug?: string; json: boolean }
  | { name: 'credits grant'; orgSlug: string; micro: bigint; note: string; json: boolean }
  | { name: 'inquiries list'; since: Date | undefined; json: boolean }
  | PasswordCommand;

function parse(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        org: { type: 'string' },
        email: { type: 'string' },
        role: { type: 'string' },
        workspace: { type: 'string' },
        credits: { type: 'string' },
        note: { type: 'string' },
        since: { type: 'string' },
        json: { type: 'boolean', default: false },
        'base-url': { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const name = positionals.join(' ');
  if (isPasswordCommand(name)) {
    try {
      return parsePasswordCommand(name, values);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  // Inquiries are the operator's, in no organization: this one command takes no --org.
  if (name === 'inquiries list') {
    if (values.since !== undefined && !INSTANT.safeParse(values.since).success)
      throw new UsageError('--since must be an ISO 8601 date (2026-12-01) or date-time with Z or an offset (2026-12-01T09:00:00Z)');
    return { name, since: values.since === undefined ? undefined : new Date(values.since), json: values.json };
  }
  if (!values.org || !SLUG.test(values.org))
    throw new UsageError('--org must be a slug: lowercase letters, digits and hyphens, 1-64 characters');
  if (name === 'credits grant') {
    const micro = values.credits === undefined ? undefined : parseCredits(values.credits);
    if (micro === undefined || micro === 0n)
      throw new UsageError('--credits must be a positive number of credits with at most 6 decimals, up to 1,000,000,000');
    if (values.note !== undefined && values.note.length > 500) throw new UsageError('--note must be at most 500 characters');
    return { name, orgSlug: values.org, micro, note: values.note ?? 'granted with the admin command', json: values.json };
  }
  if (name !== 'bootstrap')
    throw new UsageError(
      'Unknown or missing command; the commands are "bootstrap", "credits grant", "inquiries list", "password-link" and "set-password"',
    );
  if (!values.email || !EMAIL.test(values.email)) throw new UsageError('--email must be an email address');
  if (values.role !== undefined && !['owner', 'admin', 'member'].includes(values.role))
    throw new UsageError('--role must be owner, admin or member');
  if (values.workspace !== undefined && !SLUG.test(values.workspace)) throw new UsageError('--workspace must be a slug');
  return {
    name,
    orgSlug: values.org,
    email: values.email.toLowerCase(),
    role: values.role as 'owner' | 'admin' | 'member' | undefined,
    workspaceSlug: values.workspace,
    json: values.json,
  };
}

async function run(command: Command, db: Database, config: Config): Promise<Record<string, unknown>> {
  if (command.name === 'password-link' || command.name === 'set-password') return runPasswordCommand(command, db, { port: config.port });
  if (command.name === 'bootstrap') {
    const { name: _, json: __, ...input } = command;
    return {
      ...(await bootstrap(db.prisma, {
        ...input,
        keyEnv: config.keyEnv,
        keyName: 'admin bootstrap',
        initialCreditMicro: config.initialCreditMicro,
      })),
    };
  }
  if (command.name === 'inquiries list') return { items: await new InquiryStore(db.prisma).list(command.since) };
  const granted = await new CreditStore(db.prisma).grant(command.orgSlug, command.micro, command.note);
  return {
    orgSlug: command.orgSlug,
    orgId: granted.orgId,
    granted: toCreditAmount(command.micro),
    balance: toCreditAmount(granted.balanceMicro),
  };
}

async function main() {
  let command;
  try {
    command = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const config = loadConfig();
  // Logs go to stderr so stdout carries only the result.
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const db = await openDatabase(config, logger);
  try {
    const result = await run(command, db, config);
    process.stdout.write(
      command.json
        ? JSON.stringify(result) + '\n'
        : `${Object.entries(result)
            .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
            .join('\n')}\n`,
    );
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  const known = err instanceof DataDirLockedError || err instanceof ApiError;
  process.stderr.write(`error: ${known ? err.message : err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
