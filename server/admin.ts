import { parseArgs } from 'node:util';
import { loadConfig } from './config.js';
import { bootstrap } from './data/bootstrap.js';
import { openDatabase } from './db/database.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { createLogger } from './logger.js';

const USAGE = `Usage: npm run --silent admin -- bootstrap --org <slug> --email <email> [--role owner|admin|member] [--workspace <slug>] --json`;
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

class UsageError extends Error {}

function parse(argv: string[]) {
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
        json: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] !== 'bootstrap')
    throw new UsageError('Unknown or missing command; the command is "bootstrap"');
  if (!values.org || !SLUG.test(values.org))
    throw new UsageError('--org must be a slug: lowercase letters, digits and hyphens, 1-64 characters');
  if (!values.email || !EMAIL.test(values.email)) throw new UsageError('--email must be an email address');
  if (values.role !== undefined && !['owner', 'admin', 'member'].includes(values.role))
    throw new UsageError('--role must be owner, admin or member');
  if (values.workspace !== undefined && !SLUG.test(values.workspace)) throw new UsageError('--workspace must be a slug');
  return {
    orgSlug: values.org,
    email: values.email.toLowerCase(),
    role: values.role as 'owner' | 'admin' | 'member' | undefined,
    workspaceSlug: values.workspace,
    json: values.json,
  };
}

async function main() {
  let args;
  try {
    args = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const config = loadConfig();
  // Logs go to stderr so stdout carries only the result.
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const db = await openDatabase(config, logger);
  try {
    const result = await bootstrap(db.prisma, { ...args, keyEnv: config.keyEnv, keyName: 'admin bootstrap' });
    process.stdout.write(
      args.json
        ? JSON.stringify(result) + '\n'
        : `${Object.entries(result)
            .map(([k, v]) => `${k}: ${v}`)
            .join('\n')}\n`,
    );
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof DataDirLockedError ? err.message : err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
