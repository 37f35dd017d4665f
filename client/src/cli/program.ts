// The `alumia` command line, on commander. Data goes to stdout, errors and hints to stderr.
// Exit codes: 0 ok, 1 API error, 2 usage error, 3 auth error (401, 403, no key), 4 network error.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { apiBaseUrl, createClient, DEFAULT_BASE_URL, type Agent, type AlumiaClient, type ApiKey, type Me, type Page, type PageParams, type Session } from '../client.js';
import { AlumiaError } from '../errors.js';
import { credentialsPath, CredentialsError, readCredentials, removeCredentials, writeCredentials } from './credentials.js';
import { colorEnabled, fields, list, oneLine, relativeTime, table, when, type Colors } from './output.js';

export const EXIT = { ok: 0, api: 1, usage: 2, auth: 3, network: 4 } as const;

/** A mistake in how the command was called (exit 2). */
class UsageError extends Error {}
/** No key to call with (exit 3). */
class AuthError extends Error {}

export interface Io {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

interface GlobalOptions {
  json?: boolean;
  baseUrl?: string;
  apiKey?: string;
  debug?: boolean;
  color: boolean;
}

/** What a command needs: output with the right colours, and a client when it calls the API. */
class Context {
  readonly c: Colors;
  readonly ce: Colors;
  constructor(
    readonly io: Io,
    readonly opts: GlobalOptions,
  ) {
    this.c = pc.createColors(colorEnabled(io.stdout, io.env, opts.color));
    this.ce = pc.createColors(colorEnabled(io.stderr, io.env, opts.color));
  }

  get json(): boolean {
    return this.opts.json === true;
  }

  out(text: string) {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  hint(text: string) {
    this.io.stderr.write(`${this.ce.dim(text)}\n`);
  }

  warn(text: string) {
    this.io.stderr.write(`${this.ce.yellow('warning:')} ${text}\n`);
  }

  /** `--json`: exactly the data payload. Otherwise the human rendering. */
  print(data: unknown, human: () => string) {
    this.out(this.json ? JSON.stringify(data, null, 2) : human());
  }

  get credentialsFile() {
    return credentialsPath(this.io.env);
  }

  /** `--base-url`, else ALUMIA_BASE_URL, else the stored one, else http://localhost:3000. */
  baseUrl(): string {
    const given = this.opts.baseUrl?.trim() || this.io.env.ALUMIA_BASE_URL?.trim() || this.stored()?.baseUrl || DEFAULT_BASE_URL;
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new UsageError(`invalid base URL ${JSON.stringify(given)}: expected something like http://localhost:3000`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`invalid base URL ${JSON.stringify(given)}: use http:// or https://`);
    return normalizeBase(given);
  }

  /**
   * `--api-key`, else ALUMIA_API_KEY, else the stored key. The stored key is only sent to the server it was
   * stored for, so `--base-url` pointing elsewhere never leaks it.
   */
  apiKey(baseUrl: string): string {
    const key = this.opts.apiKey?.trim() || this.io.env.ALUMIA_API_KEY?.trim();
    if (key) return key;
    const stored = this.stored();
    if (stored && normalizeBase(stored.baseUrl) === baseUrl) return stored.apiKey;
    if (stored) throw new AuthError(`no API key for ${baseUrl} (you are logged in to ${stored.baseUrl}): pass --api-key, set ALUMIA_API_KEY or run alumia login --base-url ${baseUrl}`);
    throw new AuthError('no API key: run alumia login, pass --api-key or set ALUMIA_API_KEY');
  }

  client(apiKey?: string): AlumiaClient {
    const baseUrl = this.baseUrl();
    return createClient({ apiKey: apiKey ?? this.apiKey(baseUrl), baseUrl });
  }

  #stored: ReturnType<typeof readCredentials> | null = null;
  stored() {
    if (this.#stored === null) this.#stored = readCredentials(this.credentialsFile, (m) => this.warn(m));
    return this.#stored;
  }
}

function normalizeBase(url: string): string {
  return apiBaseUrl(url).slice(0, -'/api/v1'.length);
}

function positiveInt(max?: number) {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || (max !== undefined && n > max)) {
      throw new InvalidArgumentError(max ? `expected a whole number from 1 to ${max}` : 'expected a whole number of at least 1');
    }
    return n;
  };
}

function csv(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('expected a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object');
  return parsed as Record<string, unknown>;
}

function bool(value: string): boolean {
  if (/^(true|yes|1|on)$/i.test(value)) return true;
  if (/^(false|no|0|off)$/i.test(value)) return false;
  throw new InvalidArgumentError('expected true or false');
}

/** `''` clears a nullable text field. */
const nullable = (value: string | undefined) => (value === undefined ? undefined : value === '' ? null : value);

function example(...lines: string[]) {
  return `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** Reads whole pages until `limit` items (or the end); returns the cursor to continue from. */
async function collect<T>(fetchPage: (p: PageParams) => Promise<Page<T>>, options: { limit?: number; cursor?: string }) {
  const items: T[] = [];
  let cursor = options.cursor;
  for (;;) {
    const size = options.limit === undefined ? 100 : Math.min(100, options.limit - items.length);
    const page = await fetchPage({ limit: size, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    if (!page.hasMore || !page.nextCursor) return { items, nextCursor: null };
    cursor = page.nextCursor;
    if (options.limit !== undefined && items.length >= options.limit) return { items, nextCursor: cursor };
  }
}

function listOptions(cmd: Command): Command {
  return cmd
    .option('--limit <n>', 'show at most n items (default: all, following pages)', positiveInt())
    .option('--cursor <cursor>', 'start after this cursor (printed when --limit cut the list short)');
}

async function printList<T>(
  ctx: Context,
  fetchPage: (p: PageParams) => Promise<Page<T>>,
  options: { limit?: number; cursor?: string },
  human: (items: T[]) => string,
  noun: string,
  again: string,
) {
  const { items, nextCursor } = await collect(fetchPage, options);
  if (ctx.json) return ctx.out(JSON.stringify(items, null, 2));
  ctx.out(items.length ? human(items) : ctx.c.dim(`No ${noun}.`));
  if (nextCursor) ctx.hint(`More ${noun}: ${again} --cursor ${nextCursor}`);
}

const active = (c: Colors, yes: boolean) => (yes ? c.green('yes') : c.red('no'));

function agentsTable(c: Colors, agents: Agent[]) {
  return table(
    c,
    ['SLUG', 'NAME', 'MODEL', 'ACTIVE', 'UPDATED'],
    agents.map((a) => [c.cyan(a.slug), oneLine(a.name, 40), a.model, active(c, a.isActive), relativeTime(a.updatedAt)]),
  );
}

function agentFields(c: Colors, a: Agent) {
  const voice = a.settings.voice;
  return fields(c, [
    ['ID', a.id],
    ['Slug', c.cyan(a.slug)],
    ['Name', a.name],
    ['Model', a.model],
    ['Active', active(c, a.isActive)],
    ['Description', a.description ?? '-'],
    ['System prompt', oneLine(a.systemPrompt, 100) || '-'],
    ['Avatar', a.avatar],
    ['Workspace', a.workspaceId ?? 'organization-wide'],
    ['Allowed tools', list(a.allowedTools)],
    ['Allowed peers', list(a.allowedPeers)],
    ['Allowed connectors', list(a.allowedConnectors)],
    ['Voice', `${voice.provider} ${voice.voiceId}, ${voice.language}, speed ${voice.speed}, pitch ${voice.pitch}`],
    ['Created', when(c, a.createdAt)],
    ['Updated', when(c, a.updatedAt)],
  ]);
}

function sessionsTable(c: Colors, sessions: Session[]) {
  return table(
    c,
    ['ID', 'TITLE', 'AGENTS', 'RELATIONSHIP', 'UPDATED'],
    sessions.map((s) => [s.id, oneLine(s.title, 40) || c.dim('(untitled)'), String(s.agentIds.length), String(s.metadata.relationship ?? '-'), relativeTime(s.updatedAt)]),
  );
}

function sessionFields(c: Colors, s: Session) {
  return fields(c, [
    ['ID', s.id],
    ['Title', s.title ?? '-'],
    ['Agents', list(s.agentIds)],
    ['Metadata', JSON.stringify(s.metadata)],
    ['Workspace', s.workspaceId ?? 'organization-wide'],
    ['Created', when(c, s.createdAt)],
    ['Updated', when(c, s.updatedAt)],
  ]);
}

function keyStatus(c: Colors, k: ApiKey, now = Date.now()) {
  if (k.revokedAt) return c.red('revoked');
  if (k.expiresAt && Date.parse(k.expiresAt) <= now) return c.yellow('expired');
  return c.green('active');
}

function keysTable(c: Colors, keys: ApiKey[]) {
  return table(
    c,
    ['ID', 'NAME', 'PREFIX', 'SCOPES', 'STATUS', 'LAST USED', 'CREATED'],
    keys.map((k) => [k.id, oneLine(k.name, 30), k.prefix, k.scopes.join(','), keyStatus(c, k), k.lastUsedAt ? relativeTime(k.lastUsedAt) : 'never', relativeTime(k.createdAt)]),
  );
}

function keyFields(c: Colors, k: ApiKey) {
  return fields(c, [
    ['ID', k.id],
    ['Name', k.name],
    ['Prefix', k.prefix],
    ['Scopes', list(k.scopes)],
    ['Environment', k.env],
    ['Status', keyStatus(c, k)],
    ['Expires', k.expiresAt ? when(c, k.expiresAt) : 'never'],
    ['Revoked', k.revokedAt ? when(c, k.revokedAt) : '-'],
    ['Created', when(c, k.createdAt)],
  ]);
}

function meFields(c: Colors, me: Me, baseUrl: string) {
  return fields(c, [
    ['User', `${me.user.email}${me.user.name ? ` (${me.user.name})` : ''}`],
    ['Organization', `${me.org.name} (${me.org.slug})`],
    ['Role', me.role],
    ['Workspace', me.currentWorkspace ? `${me.currentWorkspace.name} (${me.currentWorkspace.slug})` : '-'],
    ['API key', `${me.apiKey.prefix}… (${me.apiKey.env}, scopes ${me.apiKey.scopes.join(',')})`],
    ['Server', baseUrl],
  ]);
}

/** Reads the key typed at a hidden prompt (nothing is echoed), or the first line of piped stdin. */
async function promptKey(io: Io): Promise<string> {
  const stdin = io.stdin;
  if (!stdin.isTTY) return (await readStdin(io)).split(/\r?\n/)[0]?.trim() ?? '';
  io.stderr.write('API key (input hidden): ');
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let key = '';
      stdin.on('data', (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') return resolve(key.trim());
          if (ch === '\u0003') return reject(new UsageError('login cancelled'));
          if (ch === '\u007f' || ch === '\b') key = key.slice(0, -1);
          else if (ch >= ' ') key += ch;
        }
      });
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    stdin.removeAllListeners('data');
    io.stderr.write('\n');
  }
}

async function readStdin(io: Io): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin) text += String(chunk);
  return text;
}

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
  const ctxOf = (cmd: Command) => new Context(io, cmd.optsWithGlobals<GlobalOptions>());

  program
    .description('Work with the Alumia API from a terminal: agents, sessions, API keys, models.')
    .version(packageVersion(), '-v, --version')
    .option('--json', 'print the answer\'s data as JSON (lists: a JSON array of every item)')
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
Exit codes: 0 ok, 1 API error, 2 usage error, 3 auth error (401, 403, no key), 4 network error.
${example('alumia login --base-url http://localhost:3000', 'alumia agents list', 'alumia agents create --name "Research Assistant" --json')}`,
    );

  // ---- login, logout, whoami -------------------------------------------------------------------------
  program
    .command('login')
    .description('Check an API key with GET /me and store it, with the server, for later commands')
    .addHelpText('after', `\nThe key is asked for (hidden) or read from stdin, unless --api-key is given. It is stored in\n$XDG_CONFIG_HOME/alumia/credentials.json (default ~/.config/alumia/credentials.json) with mode 0600.\n${example('alumia login --base-url http://localhost:3000', 'echo "$KEY" | alumia login --base-url https://alumia.example.com')}`)
    .action(async (_opts, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const baseUrl = ctx.baseUrl();
      const apiKey = ctx.opts.apiKey?.trim() || (await promptKey(io));
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
      const ctx = ctxOf(cmd);
      const removed = removeCredentials(ctx.credentialsFile);
      ctx.print({ loggedOut: removed }, () => (removed ? `Logged out: removed ${ctx.credentialsFile}` : 'Not logged in.'));
    });

  program
    .command('whoami')
    .description('Show the user, organization, role and key behind the API key in use')
    .addHelpText('after', example('alumia whoami', 'alumia whoami --json'))
    .action(async (_opts, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const me = await ctx.client().me();
      ctx.print(me, () => meFields(ctx.c, me, ctx.baseUrl()));
    });

  // ---- agents -------------------------------------------------------------------------------------
  const agents = program.command('agents').description('List, read, create, change and delete agents').addHelpText('after', example('alumia agents list', 'alumia agents get research-assistant'));

  listOptions(agents.command('list').description('List agents, most recently updated first'))
    .addHelpText('after', example('alumia agents list', 'alumia agents list --limit 10 --json'))
    .action(async (opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const client = ctx.client();
      await printList(ctx, (p) => client.agents.listPage(p), opts, (items) => agentsTable(ctx.c, items), 'agents', 'alumia agents list');
    });

  agents
    .command('get')
    .description('Show one agent')
    .argument('<agent>', 'the agent\'s slug or UUID')
    .addHelpText('after', example('alumia agents get research-assistant'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = ctxOf(cmd);
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
    .action(async (opts: Record<string, any>, cmd: Command) => {
      const ctx = ctxOf(cmd);
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
    .argument('<agent>', 'the agent\'s slug or UUID')
    .option('--name <name>', 'new display name (the slug stays)')
    .option('--slug <slug>', 'new slug')
    .option('--description <text>', 'new description; \'\' clears it')
    .option('--system-prompt <text>', 'new system prompt; \'\' clears it')
    .option('--model <id>', 'a model id from alumia models list')
    .option('--avatar <id>', 'avatar identifier')
    .option('--active <bool>', 'true or false', bool)
    .option('--settings <json>', 'settings as a JSON object', jsonObject)
    .addHelpText('after', example('alumia agents update research-assistant --name "Literature Scout"', 'alumia agents update research-assistant --active false'))
    .action(async (id: string, opts: Record<string, any>, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const changes = {
        ...(opts.name !== undefined && { name: opts.name as string }),
        ...(opts.slug !== undefined && { slug: opts.slug as string }),
        ...(opts.description !== undefined && { description: nullable(opts.description) }),
        ...(opts.systemPrompt !== undefined && { systemPrompt: nullable(opts.systemPrompt) }),
        ...(opts.model !== undefined && { model: opts.model as string }),
        ...(opts.avatar !== undefined && { avatar: opts.avatar as string }),
        ...(opts.active !== undefined && { isActive: opts.active as boolean }),
        ...(opts.settings !== undefined && { settings: opts.settings as Record<string, unknown> }),
      };
      if (Object.keys(changes).length === 0) throw new UsageError('nothing to update: give at least one option, see alumia agents update --help');
      const agent = await ctx.client().agents.update(id, changes);
      ctx.print(agent, () => `Updated agent ${ctx.c.cyan(agent.slug)}\n${agentFields(ctx.c, agent)}`);
    });

  agents
    .command('delete')
    .description('Delete an agent')
    .argument('<agent>', 'the agent\'s slug or UUID')
    .addHelpText('after', example('alumia agents delete research-assistant'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const result = await ctx.client().agents.delete(id);
      ctx.print(result, () => `Deleted agent ${id}`);
    });

  listOptions(agents.command('sessions').description('List the sessions an agent takes part in').argument('<agent>', 'the agent\'s slug or UUID'))
    .addHelpText('after', example('alumia agents sessions ala'))
    .action(async (id: string, opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const client = ctx.client();
      await printList(ctx, (p) => client.agents.sessionsPage(id, p), opts, (items) => sessionsTable(ctx.c, items), 'sessions', `alumia agents sessions ${id}`);
    });

  agents
    .command('messages')
    .description('Show the most recent messages of an agent\'s peer sessions, newest first')
    .argument('<agent>', 'the agent\'s slug or UUID')
    .option('--limit <n>', 'how many, 1 to 100 (default 50)', positiveInt(100))
    .addHelpText('after', example('alumia agents messages research-assistant --limit 20'))
    .action(async (id: string, opts: { limit?: number }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { items } = await ctx.client().agents.messages(id, opts.limit === undefined ? {} : { limit: opts.limit });
      if (ctx.json) return ctx.out(JSON.stringify(items, null, 2));
      ctx.out(
        items.length
          ? table(ctx.c, ['WHEN', 'FROM', 'SESSION', 'MESSAGE'], items.map((m) => [relativeTime(m.createdAt), m.isSelf ? ctx.c.bold(m.fromAgentName) : m.fromAgentName, m.sessionId, oneLine(m.content)]))
          : ctx.c.dim('No messages.'),
      );
    });

  agents
    .command('peers')
    .description('List the agents an agent may message')
    .argument('<agent>', 'the agent\'s slug or UUID')
    .addHelpText('after', example('alumia agents peers research-assistant'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { items } = await ctx.client().agents.peers(id);
      if (ctx.json) return ctx.out(JSON.stringify(items, null, 2));
      ctx.out(items.length ? agentsTable(ctx.c, items) : ctx.c.dim('No peers.'));
    });

  // ---- keys -------------------------------------------------------------------------------------
  const keys = program.command('keys').description('List, mint and revoke API keys').addHelpText('after', example('alumia keys list', 'alumia keys create --name "CI deploys" --scopes agents:read,agents:write'));

  listOptions(keys.command('list').description('List API keys, newest first, revoked and expired ones included'))
    .addHelpText('after', example('alumia keys list'))
    .action(async (opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const client = ctx.client();
      await printList(ctx, (p) => client.apiKeys.listPage(p), opts, (items) => keysTable(ctx.c, items), 'API keys', 'alumia keys list');
    });

  keys
    .command('create')
    .description('Mint an API key for you; the key is printed once')
    .requiredOption('--name <name>', 'a label to recognise the key by')
    .option('--scopes <scopes>', 'comma-separated scopes (default: those of the key in use)', csv)
    .option('--expires-at <iso>', 'when the key stops working, e.g. 2027-01-01T00:00:00Z')
    .option('--idempotency-key <key>', 'Idempotency-Key to send (default: a fresh UUID)')
    .addHelpText('after', example('alumia keys create --name "CI deploys" --scopes agents:read,agents:write --expires-at 2027-01-01T00:00:00Z'))
    .action(async (opts: { name: string; scopes?: string[]; expiresAt?: string; idempotencyKey?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const created = await ctx.client().apiKeys.create(
        { name: opts.name, ...(opts.scopes && { scopes: opts.scopes as ApiKey['scopes'] }), ...(opts.expiresAt && { expiresAt: opts.expiresAt }) },
        { idempotencyKey: opts.idempotencyKey ?? randomUUID() },
      );
      ctx.print(created, () => `${ctx.c.bold(created.key)}\n${ctx.c.yellow('Store this key now: it is not shown again.')}\n${keyFields(ctx.c, created)}`);
    });

  keys
    .command('revoke')
    .description('Revoke an API key by id; it stops working at once')
    .argument('<id>', 'the key\'s id (see alumia keys list)')
    .addHelpText('after', example('alumia keys revoke 7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const key = await ctx.client().apiKeys.revoke(id);
      ctx.print(key, () => `Revoked key ${key.prefix}… (${key.name})`);
    });

  // ---- models -----------------------------------------------------------------------------------
  const models = program.command('models').description('The model catalog').addHelpText('after', example('alumia models list'));
  models
    .command('list')
    .description('List the models an agent can run on')
    .addHelpText('after', example('alumia models list', 'alumia models list --json'))
    .action(async (_opts, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const { items } = await ctx.client().models.list();
      if (ctx.json) return ctx.out(JSON.stringify(items, null, 2));
      ctx.out(table(ctx.c, ['ID', 'NAME', 'PROVIDER', 'CONTEXT', 'DEFAULT'], items.map((m) => [m.id, m.name, m.provider, m.contextWindow.toLocaleString('en-US'), m.isDefault ? ctx.c.green('yes') : ''])));
    });

  // ---- sessions ---------------------------------------------------------------------------------
  const sessions = program.command('sessions').description('List, read, open and delete sessions, and their messages').addHelpText('after', example('alumia sessions list', 'alumia sessions create --agents ala,research-assistant --title "Weekly sync"'));

  listOptions(sessions.command('list').description('List sessions, most recently updated first'))
    .addHelpText('after', example('alumia sessions list --limit 20'))
    .action(async (opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const client = ctx.client();
      await printList(ctx, (p) => client.sessions.listPage(p), opts, (items) => sessionsTable(ctx.c, items), 'sessions', 'alumia sessions list');
    });

  sessions
    .command('get')
    .description('Show one session')
    .argument('<id>', 'the session\'s UUID')
    .addHelpText('after', example('alumia sessions get 4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const session = await ctx.client().sessions.get(id);
      ctx.print(session, () => sessionFields(ctx.c, session));
    });

  sessions
    .command('create')
    .description('Open a session with 1 to 20 agents in your current workspace')
    .requiredOption('--agents <agents>', 'comma-separated agent slugs or UUIDs', csv)
    .option('--title <title>', 'a title')
    .addOption(new Option('--relationship <kind>', 'who talks in the session').choices(['direct', 'group', 'peer']))
    .option('--idempotency-key <key>', 'Idempotency-Key to send (default: a fresh UUID)')
    .addHelpText('after', example('alumia sessions create --agents ala,research-assistant --title "Weekly sync" --relationship peer'))
    .action(async (opts: { agents: string[]; title?: string; relationship?: 'direct' | 'group' | 'peer'; idempotencyKey?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const session = await ctx.client().sessions.create(
        { agentIds: opts.agents, ...(opts.title !== undefined && { title: opts.title }), ...(opts.relationship && { metadata: { relationship: opts.relationship } }) },
        { idempotencyKey: opts.idempotencyKey ?? randomUUID() },
      );
      ctx.print(session, () => `Created session ${session.id}\n${sessionFields(ctx.c, session)}`);
    });

  sessions
    .command('delete')
    .description('Delete a session')
    .argument('<id>', 'the session\'s UUID')
    .addHelpText('after', example('alumia sessions delete 4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b'))
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const result = await ctx.client().sessions.delete(id);
      ctx.print(result, () => `Deleted session ${id}`);
    });

  listOptions(sessions.command('messages').description('List a session\'s messages, oldest first').argument('<id>', 'the session\'s UUID'))
    .addHelpText('after', example('alumia sessions messages 4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b'))
    .action(async (id: string, opts: { limit?: number; cursor?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const client = ctx.client();
      await printList(
        ctx,
        (p) => client.sessions.messagesPage(id, p),
        opts,
        (items) => table(ctx.c, ['WHEN', 'AUTHOR', 'MESSAGE'], items.map((m) => [relativeTime(m.createdAt), m.agentId ? `agent ${m.agentId}` : `user ${m.userId ?? '?'}`, oneLine(m.content, 80)])),
        'messages',
        `alumia sessions messages ${id}`,
      );
    });

  sessions
    .command('post')
    .description('Post a message to a session, as you or as one of its agents')
    .argument('<id>', 'the session\'s UUID')
    .argument('[content...]', 'the message; read from stdin when omitted or -')
    .option('--agent <agent>', 'post as this agent (slug or UUID) of the session')
    .option('--idempotency-key <key>', 'Idempotency-Key to send (default: a fresh UUID)')
    .addHelpText('after', example('alumia sessions post 4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b "Here is the summary."', 'cat notes.md | alumia sessions post 4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b --agent research-assistant'))
    .action(async (id: string, words: string[], opts: { agent?: string; idempotencyKey?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const content = words.length === 0 || (words.length === 1 && words[0] === '-') ? await readStdin(io) : words.join(' ');
      if (!content.trim()) throw new UsageError('no message: give it as arguments or on stdin');
      const message = await ctx.client().sessions.postMessage(id, { content, ...(opts.agent && { agentId: opts.agent }) }, { idempotencyKey: opts.idempotencyKey ?? randomUUID() });
      ctx.print(message, () => `Posted message ${message.id}`);
    });

  // ---- dashboard --------------------------------------------------------------------------------
  const dashboard = program.command('dashboard').description('Summaries of your organization').addHelpText('after', example('alumia dashboard overview'));
  dashboard
    .command('overview')
    .description('Counts of agents, sessions, recent messages and keys, and the recently updated agents')
    .addHelpText('after', example('alumia dashboard overview', 'alumia dashboard overview --json'))
    .action(async (_opts, cmd: Command) => {
      const ctx = ctxOf(cmd);
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

  // Every group without a subcommand shows its help and fails as a usage error.
  for (const group of [agents, keys, models, sessions, dashboard]) group.action(() => group.help({ error: true }));
  return program;
}

function exitCodeOf(error: AlumiaError): number {
  if (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN') return EXIT.auth;
  if (error.code === 'NETWORK_ERROR' || error.code === 'TIMEOUT') return EXIT.network;
  return EXIT.api;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(io: Io): Promise<number> {
  const debug = io.argv.includes('--debug');
  const errColors = pc.createColors(colorEnabled(io.stderr, io.env, !io.argv.includes('--no-color')));
  const fail = (message: string, code: number, error?: unknown) => {
    io.stderr.write(`${errColors.red('error:')} ${message}\n`);
    if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    if (debug && error instanceof Error && error.cause) io.stderr.write(`cause: ${String((error.cause as Error)?.stack ?? error.cause)}\n`);
    return code;
  };
  try {
    await buildProgram(io).parseAsync(io.argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already written its message (or the help) to stderr.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof AlumiaError) {
      // Field details the message does not already say, on the same line.
      const extra = error.details.filter((d) => !error.message.includes(d.message));
      const details = extra.length ? ` [${extra.map((d) => `${d.path}: ${d.message}`).join('; ')}]` : '';
      const request = error.requestId ? ` (request ${error.requestId})` : '';
      return fail(`${error.code}: ${error.message}${details}${request}`, exitCodeOf(error), error);
    }
    if (error instanceof UsageError) return fail(error.message, EXIT.usage, error);
    if (error instanceof AuthError) return fail(error.message, EXIT.auth, error);
    if (error instanceof CredentialsError) return fail(error.message, EXIT.auth, error);
    return fail(error instanceof Error ? error.message : String(error), EXIT.api, error);
  }
}
