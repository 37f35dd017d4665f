import { statSync, readFileSync, existsSync } from 'node:fs';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram, type Io } from '../client/src/cli/program.js';
import { createClient, type Agent, type ApiKeyCreated, type Session } from '../client/src/index.js';
import { cliHome, type CliHome } from './helpers/cli-process.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { listen, unusedPort, type Served } from './helpers/live-http.js';

// The `alumia` CLI as a child process against the real server on the embedded database, over real HTTP.
// Each test starts several Node processes: on a busy machine that takes a while.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

// ESC [ starts every colour sequence; built from its code so no control character sits in the source.
const ANSI = new RegExp(`${String.fromCharCode(0x1b)}\\[`);
const REQUEST_ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

let h: Harness;
let server: Served;
const homes: CliHome[] = [];
beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app);
});
afterAll(async () => {
  for (const home of homes) home.remove();
  await server?.close();
  await h?.close();
});

function home(): CliHome {
  const made = cliHome();
  homes.push(made);
  return made;
}

/** A home where `t` is logged in to the test server. */
async function loggedIn(t: Tenant): Promise<CliHome> {
  const made = home();
  const login = await made.run(['login', '--base-url', server.url, '--api-key', t.key]);
  expect(login.code, login.stderr).toBe(0);
  return made;
}

const json = <T>(stdout: string): T => JSON.parse(stdout) as T;

describe.concurrent('login, whoami and logout', () => {
  it('login --api-key checks the key with GET /me, then stores key and server in $XDG_CONFIG_HOME/alumia/credentials.json with mode 0600', async () => {
    const t = await h.tenant();
    const cli = home();
    const r = await cli.run(['login', '--base-url', server.url, '--api-key', t.key]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`Logged in to ${server.url} as ${t.email}`);
    expect(statSync(cli.credentials).mode & 0o777).toBe(0o600);
    expect(statSync(`${cli.path}/alumia`).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(cli.credentials, 'utf8'))).toEqual({ apiKey: t.key, baseUrl: server.url, savedAt: expect.any(String) });
  });

  it('login reads the key from stdin when --api-key is not given', async () => {
    const t = await h.tenant();
    const cli = home();
    const r = await cli.run(['login', '--base-url', server.url], { input: `${t.key}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(cli.credentials, 'utf8')).apiKey).toBe(t.key);
  });

  it('login with a refused key exits 3 and stores nothing', async () => {
    const cli = home();
    const r = await cli.run(['login', '--base-url', server.url, '--api-key', `alm_test_${'0'.repeat(48)}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^error: UNAUTHORIZED: .+ \\(request ${REQUEST_ID}\\)\\n$`));
    expect(existsSync(cli.credentials)).toBe(false);
  });

  it('whoami uses the stored credentials; after logout it exits 3', async () => {
    const t = await h.tenant();
    const cli = await loggedIn(t);
    const who = await cli.run(['whoami']);
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout).toContain(t.email);
    expect(who.stdout).toContain(t.orgSlug);
    expect(who.stdout).toContain(server.url);
    expect(json<{ org: { id: string } }>((await cli.run(['whoami', '--json'])).stdout).org.id).toBe(t.orgId);

    const out = await cli.run(['logout']);
    expect(out.code).toBe(0);
    expect(existsSync(cli.credentials)).toBe(false);
    const after = await cli.run(['whoami']);
    expect(after).toMatchObject({ code: 3, stdout: '' });
    expect(after.stderr).toBe('error: no API key: run alumia login, pass --api-key or set ALUMIA_API_KEY\n');
  });

  it('--api-key beats ALUMIA_API_KEY, which beats the stored key', async () => {
    const [stored, fromEnv, fromFlag] = [await h.tenant(), await h.tenant(), await h.tenant()];
    const cli = await loggedIn(stored);
    const org = async (args: string[], env: Record<string, string> = {}) =>
      json<{ org: { id: string } }>((await cli.run(['whoami', '--json', ...args], { env })).stdout).org.id;
    expect(await org([])).toBe(stored.orgId);
    expect(await org([], { ALUMIA_API_KEY: fromEnv.key })).toBe(fromEnv.orgId);
    expect(await org(['--api-key', fromFlag.key], { ALUMIA_API_KEY: fromEnv.key })).toBe(fromFlag.orgId);
  });

  it('--base-url beats ALUMIA_BASE_URL, which beats the stored server', async () => {
    const t = await h.tenant();
    const cli = await loggedIn(t);
    const dead = `http://127.0.0.1:${await unusedPort()}`;
    expect((await cli.run(['whoami'], { env: { ALUMIA_BASE_URL: dead, ALUMIA_API_KEY: t.key } })).code).toBe(4);
    expect((await cli.run(['whoami', '--base-url', server.url], { env: { ALUMIA_BASE_URL: dead, ALUMIA_API_KEY: t.key } })).code).toBe(0);
  });

  it('never sends the stored key to another server: --base-url elsewhere without a key exits 3', async () => {
    const t = await h.tenant();
    const cli = await loggedIn(t);
    const elsewhere = `http://127.0.0.1:${await unusedPort()}`;
    const r = await cli.run(['whoami', '--base-url', elsewhere]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `error: no API key for ${elsewhere} (you are logged in to ${server.url}): pass --api-key, set ALUMIA_API_KEY or run alumia login --base-url ${elsewhere}\n`,
    );
  });
});

/** A new organization, logged in from a new home. */
async function fresh(): Promise<{ t: Tenant; cli: CliHome }> {
  const t = await h.tenant();
  return { t, cli: await loggedIn(t) };
}

// Every test below has its own organization and home, so they run concurrently.
describe.concurrent('agents', () => {
  it('agents create/get/list --json print exactly the data the API returns', async () => {
    const { t, cli } = await fresh();
    const created = await cli.run([
      'agents',
      'create',
      '--name',
      'Research Assistant',
      '--system-prompt',
      'You help with literature reviews.',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const agent = json<Agent>(created.stdout);
    const api = createClient({ apiKey: t.key, baseUrl: server.url });
    expect(agent).toEqual(await api.agents.get(agent.id));
    expect(agent).toMatchObject({ slug: 'research-assistant', systemPrompt: 'You help with literature reviews.' });

    expect(json<Agent>((await cli.run(['agents', 'get', 'research-assistant', '--json'])).stdout)).toEqual(agent);
    const listed = json<Agent[]>((await cli.run(['agents', 'list', '--json'])).stdout);
    expect(listed).toEqual(await api.agents.list().toArray());
    expect(listed.map((a) => a.slug)).toContain('research-assistant');
  });

  it('agents list prints an aligned table with relative times, and --limit tells how to continue', async () => {
    const { cli } = await fresh();
    await cli.run(['agents', 'create', '--name', uniq('Table')]);
    const r = await cli.run(['agents', 'list']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SLUG\s+NAME\s+MODEL\s+ACTIVE\s+UPDATED$/);
    const column = lines[0]!.indexOf('MODEL');
    for (const line of lines.slice(1)) expect(line.slice(column)).toMatch(/^grok-3\s+yes\s+(just now|\d+ min ago)$/);
    expect(lines.some((l) => l.startsWith('ala '))).toBe(true);

    const cut = await cli.run(['agents', 'list', '--limit', '1']);
    expect(cut.stdout.trimEnd().split('\n')).toHaveLength(2);
    const cursor = /--cursor (\S+)/.exec(cut.stderr)?.[1];
    expect(cursor).toBeDefined();
    const rest = json<Agent[]>((await cli.run(['agents', 'list', '--cursor', cursor!, '--json'])).stdout);
    expect(rest.length).toBe(json<Agent[]>((await cli.run(['agents', 'list', '--json'])).stdout).length - 1);
  });

  it('agents update, peers, sessions, messages and delete', async () => {
    const { cli } = await fresh();
    const scout = json<Agent>((await cli.run(['agents', 'create', '--name', uniq('Scout'), '--allowed-peers', 'ala', '--json'])).stdout);
    const updated = await cli.run(['agents', 'update', scout.slug, '--description', 'Finds papers.', '--json']);
    expect(json<Agent>(updated.stdout)).toMatchObject({ id: scout.id, description: 'Finds papers.', isActive: true });

    expect(json<Agent[]>((await cli.run(['agents', 'peers', scout.slug, '--json'])).stdout).map((a) => a.slug)).toEqual(['ala']);
    const session = json<Session>(
      (await cli.run(['sessions', 'create', '--agents', `${scout.slug},ala`, '--relationship', 'peer', '--json'])).stdout,
    );
    expect((await cli.run(['sessions', 'post', session.id, 'Numbers', 'are', 'in.', '--agent', scout.slug])).code).toBe(0);
    expect(json<Session[]>((await cli.run(['agents', 'sessions', scout.slug, '--json'])).stdout).map((s) => s.id)).toEqual([session.id]);
    const messages = await cli.run(['agents', 'messages', 'ala', '--limit', '5']);
    expect(messages.stdout).toMatch(/^WHEN\s+FROM\s+SESSION\s+MESSAGE\n/);
    expect(messages.stdout).toContain('Numbers are in.');

    const paused = await cli.run(['agents', 'update', scout.slug, '--active', 'false', '--description', '']);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/^Active\s+no$/m);
    expect(paused.stdout).toMatch(/^Description\s+-$/m);

    const deleted = await cli.run(['agents', 'delete', scout.slug, '--json']);
    expect(json(deleted.stdout)).toEqual({ deleted: true });
    expect((await cli.run(['agents', 'get', scout.id])).code).toBe(1);
  });
});

describe.concurrent('keys, models, sessions and dashboard', () => {
  it('keys create prints the secret once; keys list shows it; keys revoke stops it (then exit 3)', async () => {
    const { cli } = await fresh();
    const created = await cli.run(['keys', 'create', '--name', 'CI deploys', '--scopes', 'agents:read']);
    expect(created.code, created.stderr).toBe(0);
    const secret = /alm_test_[0-9a-f]{48}/.exec(created.stdout)?.[0];
    expect(secret).toBeDefined();
    expect(created.stdout).toContain('it is not shown again');

    const listed = await cli.run(['keys', 'list']);
    expect(listed.stdout).toMatch(/^ID\s+NAME\s+PREFIX\s+SCOPES\s+STATUS\s+LAST USED\s+CREATED\n/);
    expect(listed.stdout).toContain(secret!.slice(0, 12));
    expect(listed.stdout).not.toContain(secret!);

    const id = json<ApiKeyCreated[]>((await cli.run(['keys', 'list', '--json'])).stdout).find((k) => k.name === 'CI deploys')!.id;
    const revoked = await cli.run(['keys', 'revoke', id]);
    expect(revoked).toMatchObject({ code: 0, stdout: `Revoked key ${secret!.slice(0, 12)}… (CI deploys)\n` });
    expect((await cli.run(['agents', 'list', '--api-key', secret!])).code).toBe(3);
  });

  it('models list --json prints the catalog', async () => {
    const { cli } = await fresh();
    const models = json<Array<{ id: string; isDefault: boolean }>>((await cli.run(['models', 'list', '--json'])).stdout);
    expect(models.filter((m) => m.isDefault).map((m) => m.id)).toEqual(['grok-3']);
    expect((await cli.run(['models', 'list'])).stdout).toMatch(/^ID\s+NAME\s+PROVIDER\s+CONTEXT\s+DEFAULT\n/);
  });

  it('sessions create, post (arguments and stdin), messages, get, list and delete', async () => {
    const { cli } = await fresh();
    const session = json<Session>((await cli.run(['sessions', 'create', '--agents', 'ala', '--title', 'Weekly sync', '--json'])).stdout);
    expect(session.title).toBe('Weekly sync');
    expect((await cli.run(['sessions', 'post', session.id, 'hello'])).code).toBe(0);
    expect((await cli.run(['sessions', 'post', session.id], { input: 'from stdin\n' })).code).toBe(0);
    const messages = json<Array<{ content: string }>>((await cli.run(['sessions', 'messages', session.id, '--json'])).stdout);
    expect(messages.map((m) => m.content)).toEqual(['hello', 'from stdin\n']);
    expect(json<Session>((await cli.run(['sessions', 'get', session.id, '--json'])).stdout).id).toBe(session.id);
    expect((await cli.run(['sessions', 'list'])).stdout).toContain('Weekly sync');
    expect(json((await cli.run(['sessions', 'delete', session.id, '--json'])).stdout)).toEqual({ deleted: true });
    expect((await cli.run(['sessions', 'get', session.id])).code).toBe(1);
  });

  it('sessions update changes the title and metadata; sessions list --agent and --relationship filter', async () => {
    const { t, cli } = await fresh();
    const api = createClient({ apiKey: t.key, baseUrl: server.url });
    const scout = await api.agents.create({ name: uniq('Scout') });
    const peer = await api.sessions.create({ agentIds: [scout.id, 'ala'], metadata: { relationship: 'peer' } });
    const direct = await api.sessions.create({ agentIds: ['ala'], title: 'Old', metadata: { relationship: 'direct' } });

    const updated = await cli.run(['sessions', 'update', direct.id, '--title', 'New', '--metadata', '{"relationship":"group"}', '--json']);
    expect(updated.code, updated.stderr).toBe(0);
    expect(json<Session>(updated.stdout)).toEqual(await api.sessions.get(direct.id));
    expect(json<Session>(updated.stdout)).toMatchObject({ title: 'New', metadata: { relationship: 'group' } });
    expect((await cli.run(['sessions', 'update', direct.id, '--title', ''])).stdout).toMatch(/^Title\s+-$/m);
    expect((await cli.run(['sessions', 'update', direct.id])).code).toBe(2);

    const ids = async (...args: string[]) =>
      json<Session[]>((await cli.run(['sessions', 'list', '--json', ...args])).stdout).map((s) => s.id);
    expect(await ids('--agent', scout.slug)).toEqual([peer.id]);
    expect(await ids('--relationship', 'group')).toEqual([direct.id]);
    expect(await ids('--agent', 'ala', '--relationship', 'peer', '--limit', '1')).toEqual([peer.id]);
    expect((await cli.run(['sessions', 'list', '--relationship', 'friends'])).code).toBe(2);
  });

  it('dashboard overview --json prints the snapshot; without --json a summary', async () => {
    const { t, cli } = await fresh();
    const overview = json<{ agents: { total: number } }>((await cli.run(['dashboard', 'overview', '--json'])).stdout);
    expect(overview).toEqual(await createClient({ apiKey: t.key, baseUrl: server.url }).dashboard.overview());
    const human = await cli.run(['dashboard', 'overview']);
    expect(human.stdout).toMatch(/^Agents\s+\d+ \(\d+ active\)$/m);
    expect(human.stdout).toContain('Recently updated agents');
  });
});

describe.concurrent('errors and exit codes', () => {
  let t: Tenant;
  let cli: CliHome;
  // Read-only use of one organization: nothing here changes it.
  beforeAll(async () => {
    ({ t, cli } = await fresh());
  });

  it('an API error is one line on stderr with code, message and request id, and exits 1', async () => {
    const r = await cli.run(['agents', 'get', 'no-such-agent']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error: NOT_FOUND: Agent not found \\(request ${REQUEST_ID}\\)\\n$`));
  });

  it('a validation error names the field on the same line and exits 1', async () => {
    const r = await cli.run(['agents', 'create', '--name', 'x', '--model', 'no-such-model']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^error: BAD_REQUEST: .*\[body\.model: .*\] \(request /);
  });

  it('a refused key (401) and a missing scope (403) exit 3', async () => {
    const bad = await cli.run(['agents', 'list', '--api-key', `alm_test_${'f'.repeat(48)}`]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^error: UNAUTHORIZED: /);
    const readOnly = await h.keyWithScopes(t, ['agents:read']);
    const forbidden = await cli.run(['agents', 'create', '--name', 'Nope', '--api-key', readOnly]);
    expect(forbidden.code).toBe(3);
    expect(forbidden.stderr).toMatch(/^error: FORBIDDEN: /);
  });

  it('no key at all exits 3 without calling the server', async () => {
    const r = await home().run(['agents', 'list', '--base-url', server.url]);
    expect(r).toMatchObject({ code: 3, stdout: '' });
    expect(r.stderr).toBe('error: no API key: run alumia login, pass --api-key or set ALUMIA_API_KEY\n');
  });

  it.each([
    [['agents', 'frobnicate']],
    [['agents', 'list', '--bogus']],
    [['agents', 'create']],
    [['agents', 'list', '--limit', 'ten']],
    [['agents', 'update', 'ala']],
    [['sessions', 'create', '--agents', 'ala', '--relationship', 'friends']],
    [['agents']],
    [['whoami', '--base-url', 'not a url']],
  ])('a usage error exits 2 and says why: alumia %j', async (args) => {
    const r = await cli.run(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error|Usage:/);
  });

  it('a server that does not answer exits 4 with a NETWORK_ERROR line', async () => {
    const port = await unusedPort();
    const r = await cli.run(['agents', 'list', '--base-url', `http://127.0.0.1:${port}`, '--api-key', t.key]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      new RegExp(`^error: NETWORK_ERROR: GET http://127\\.0\\.0\\.1:${port}/api/v1/agents\\?limit=100 failed: .+\\n$`),
    );
  });

  it('prints no stack trace unless --debug', async () => {
    const plain = await cli.run(['agents', 'get', 'no-such-agent']);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const debug = await cli.run(['agents', 'get', 'no-such-agent', '--debug']);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^error: NOT_FOUND: /);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

describe.concurrent('colour', () => {
  let cli: CliHome;
  beforeAll(async () => {
    cli = await loggedIn(await h.tenant());
  });

  it('is on when FORCE_COLOR asks for it (the control for the rules below)', async () => {
    expect((await cli.run(['agents', 'list'], { env: { FORCE_COLOR: '1' } })).stdout).toMatch(ANSI);
  });

  it('is off when NO_COLOR is set, even with FORCE_COLOR, on stdout and on stderr', async () => {
    const list = await cli.run(['agents', 'list'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('SLUG');
    expect(list.stdout).not.toMatch(ANSI);
    const error = await cli.run(['agents', 'get', 'nope'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(error.stderr).toMatch(/^error: NOT_FOUND/);
    expect(error.stderr).not.toMatch(ANSI);
  });

  it('is off with --no-color, and off by default when output is not a terminal', async () => {
    expect((await cli.run(['agents', 'list', '--no-color'], { env: { FORCE_COLOR: '1' } })).stdout).not.toMatch(ANSI);
    expect((await cli.run(['agents', 'list'])).stdout).not.toMatch(ANSI);
  });
});

describe('help', () => {
  /** Every command of the program, depth first. */
  const walk = (cmd: Command): Command[] => [cmd, ...cmd.commands.flatMap(walk)];

  it('every command has --help with an example', () => {
    let out = '';
    const sink = { write: (s: string) => ((out += s), true), isTTY: false } as unknown as NodeJS.WriteStream;
    const io: Io = { argv: [], env: {}, stdin: process.stdin, stdout: sink, stderr: sink };
    const commands = walk(buildProgram(io));
    expect(commands.length).toBeGreaterThan(25);
    for (const cmd of commands) {
      out = '';
      cmd.outputHelp();
      const path = [cmd.parent?.parent?.name(), cmd.parent?.name(), cmd.name()].filter(Boolean).join(' ');
      expect(out, path).toMatch(/^Usage: /);
      expect(out, path).toMatch(/\nExamples?:\n {2}\$ alumia /);
    }
  });

  it('alumia agents create --help exits 0 and shows the example', async () => {
    const r = await home().run(['agents', 'create', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('$ alumia agents create --name "Research Assistant"');
    expect(r.stdout).toContain('--base-url <url>');
  });
});

// `alumia … | head -1`: the reader goes away before the CLI is done writing. Like git and gh, the CLI then
// stops without a word (no stack trace, nothing on stderr) and exits 0; see client/src/cli/broken-pipe.ts.
describe.concurrent('a reader that goes away (EPIPE)', () => {
  const STACK = /\n\s+at |EPIPE|Error/;

  it.each([[['--help']], [['agents', '--help']], [['sessions', 'create', '--help']]])(
    'alumia %j into a closed stdout exits 0 with nothing on stderr',
    async (args) => {
      // Closed before the CLI writes at all, so its very first write fails.
      const r = await home().run(args, { hangUp: { stream: 'stdout', after: 'start' } });
      expect(r.stderr).not.toMatch(STACK);
      expect(r).toMatchObject({ code: 0, stderr: '' });
    },
  );

  it('a long list whose reader closes after the first chunk exits 0 with nothing on stderr', async () => {
    const { t, cli } = await fresh();
    const api = createClient({ apiKey: t.key, baseUrl: server.url });
    const session = await api.sessions.create({ agentIds: ['ala'] });
    // About 300 kB of JSON: far more than a pipe holds, so the CLI is still writing when the reader goes.
    for (const letter of ['a', 'b', 'c']) await api.sessions.postMessage(session.id, { content: letter.repeat(100_000) });
    const whole = await cli.run(['sessions', 'messages', session.id, '--json']);
    expect(whole.stdout.length).toBeGreaterThan(300_000);

    const r = await cli.run(['sessions', 'messages', session.id, '--json'], { hangUp: { stream: 'stdout', after: 'first-chunk' } });
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stdout.length).toBeLessThan(whole.stdout.length);
    expect(r.stderr).not.toMatch(STACK);
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });

  it('a closed stderr loses only the message: a usage error still exits 2, not 1 of an unhandled EPIPE', async () => {
    const r = await home().run(['agents', 'frobnicate'], { hangUp: { stream: 'stderr', after: 'start' } });
    expect(r).toMatchObject({ code: 2, stdout: '' });
  });
});
