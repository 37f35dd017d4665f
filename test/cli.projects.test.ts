// `alumia projects` and `alumia projects blocks` as a child process against the real server over real HTTP:
// tables and --json, paging with --limit/--cursor, blocks added, moved and removed in canvas order,
// `sessions --project`, and the exit codes of API and usage errors.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Block, Project, Session } from '../client/src/index.js';
import { cliHome, type CliHome } from './helpers/cli-process.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { listen, type Served } from './helpers/live-http.js';

// Each test starts several Node processes: on a busy machine that takes a while.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let h: Harness;
let server: Served;
const homes: CliHome[] = [];
const json = <T>(stdout: string): T => JSON.parse(stdout) as T;

beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app);
});
afterAll(async () => {
  for (const home of homes) home.remove();
  await server?.close();
  await h?.close();
});

/** A home where a new tenant is logged in to the test server. */
async function loggedIn(): Promise<{ cli: CliHome; t: Tenant }> {
  const t = await h.tenant();
  const cli = cliHome();
  homes.push(cli);
  const login = await cli.run(['login', '--base-url', server.url, '--api-key', t.key]);
  expect(login.code, login.stderr).toBe(0);
  return { cli, t };
}

/** Runs the CLI, expects exit 0, and returns the --json output parsed. */
async function ok<T>(cli: CliHome, args: string[]): Promise<T> {
  const r = await cli.run([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return json<T>(r.stdout);
}

describe('alumia projects', () => {
  it('create, get, update and delete, with --json and human output', async () => {
    const { cli, t } = await loggedIn();
    const made = await cli.run(['projects', 'create', '--name', 'Q3 Roadmap', '--description', 'What we ship.', '--metadata', '{"q":3}']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^Created project q3-roadmap \([0-9a-f-]{36}\)\n/);
    expect(made.stdout).toMatch(/Description\s+What we ship\./);

    const p = await ok<Project>(cli, ['projects', 'get', 'q3-roadmap']);
    expect(p).toMatchObject({ name: 'Q3 Roadmap', slug: 'q3-roadmap', description: 'What we ship.', metadata: { q: 3 } });
    expect(p.workspaceId).toBe(t.workspaceId);

    const updated = await ok<Project>(cli, ['projects', 'update', p.id, '--name', 'Q3 Final', '--slug', 'q3-final', '--description', '']);
    expect(updated).toMatchObject({ id: p.id, name: 'Q3 Final', slug: 'q3-final', description: null });
    const shown = await cli.run(['projects', 'get', 'q3-final']);
    expect(shown.stdout).toMatch(/Name\s+Q3 Final/);

    const deleted = await cli.run(['projects', 'delete', 'q3-final']);
    expect(deleted).toMatchObject({ code: 0, stdout: 'Deleted project q3-final\n' });
    const gone = await cli.run(['projects', 'get', p.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: NOT_FOUND: .+ \(request [0-9a-f-]{36}\)\n$/);
  });

  it('list prints a table and --json every item; --limit prints the cursor to go on from', async () => {
    const { cli } = await loggedIn();
    for (const name of ['Alpha', 'Beta', 'Gamma']) expect((await cli.run(['projects', 'create', '--name', name])).code).toBe(0);
    const all = await ok<Project[]>(cli, ['projects', 'list']);
    expect(all.map((p) => p.slug).sort()).toEqual(['alpha', 'beta', 'gamma']);

    const table = await cli.run(['projects', 'list']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SLUG\s+NAME\s+DESCRIPTION\s+UPDATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(all.map((p) => p.slug));

    const first = await cli.run(['projects', 'list', '--limit', '2']);
    expect(
      first.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(all.slice(0, 2).map((p) => p.slug));
    const cursor = /More projects: alumia projects list --cursor (\S+)/.exec(first.stderr)?.[1];
    expect(cursor).toBeDefined();
    const rest = await ok<Project[]>(cli, ['projects', 'list', '--cursor', cursor!]);
    expect(rest.map((p) => p.id)).toEqual([all[2]!.id]);
  });

  it("another tenant's project is NOT_FOUND (exit 1); bad input is VALIDATION_ERROR (exit 1); misuse exits 2", async () => {
    const { cli } = await loggedIn();
    const { cli: other } = await loggedIn();
    const p = await ok<Project>(other, ['projects', 'create', '--name', 'Private']);
    for (const args of [
      ['projects', 'get', p.id],
      ['projects', 'delete', p.slug],
      ['projects', 'blocks', 'list', p.id],
    ]) {
      const r = await cli.run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('NOT_FOUND');
    }
    expect((await ok<Project>(other, ['projects', 'get', p.id])).name).toBe('Private');

    const blank = await cli.run(['projects', 'create', '--name', '   ']);
    expect(blank.code).toBe(1);
    expect(blank.stderr).toContain('VALIDATION_ERROR');
    expect((await cli.run(['projects', 'create'])).code).toBe(2);
    const nothing = await cli.run(['projects', 'update', 'whatever']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('nothing to update');
    expect((await cli.run(['projects', 'create', '--name', 'x', '--metadata', '[1]'])).code).toBe(2);
    expect((await cli.run(['projects'])).code).toBe(2);
  });
});

describe('alumia projects blocks', () => {
  it('add (last, --first, --after), update (content, move), remove, and list in canvas order', async () => {
    const { cli } = await loggedIn();
    const p = await ok<Project>(cli, ['projects', 'create', '--name', 'Canvas']);
    const add = (...args: string[]) => ok<Block>(cli, ['projects', 'blocks', 'add', 'canvas', ...args]);
    const b = await add('--type', 'text', '--text', 'b');
    expect(b).toMatchObject({ projectId: p.id, type: 'text', content: { text: 'b' } });
    const a = await add('--type', 'heading', '--text', 'a', '--level', '2', '--first');
    expect(a.content).toEqual({ text: 'a', level: 2 });
    const code = await add('--type', 'code', '--code', 'npm test', '--language', 'sh', '--after', a.id);
    const c = await add('--type', 'text', '--content', '{"text":"c"}');
    const order = async () => (await ok<Block[]>(cli, ['projects', 'blocks', 'list', p.id])).map((x) => x.id);
    expect(await order()).toEqual([a.id, code.id, b.id, c.id]);

    const moved = await ok<Block>(cli, ['projects', 'blocks', 'update', 'canvas', c.id, '--first']);
    expect(moved.id).toBe(c.id);
    const changed = await cli.run(['projects', 'blocks', 'update', 'canvas', b.id, '--text', 'B', '--after', c.id]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(new RegExp(`^Updated block ${b.id}\\n`));
    expect(changed.stdout).toMatch(/Content\s+B\n/);
    expect(await order()).toEqual([c.id, b.id, a.id, code.id]);

    const table = await cli.run(['projects', 'blocks', 'list', 'canvas']);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID\s+TYPE\s+CONTENT\s+UPDATED$/);
    expect(rows.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 3))).toEqual([
      [c.id, 'text', 'c'],
      [b.id, 'text', 'B'],
      [a.id, 'heading', '## a'],
      [code.id, 'code', '[sh] npm test'],
    ]);

    const removed = await cli.run(['projects', 'blocks', 'remove', 'canvas', a.id]);
    expect(removed).toMatchObject({ code: 0, stdout: `Removed block ${a.id}\n` });
    expect(await order()).toEqual([c.id, b.id, code.id]);
    const again = await cli.run(['projects', 'blocks', 'remove', 'canvas', a.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('NOT_FOUND');
  });

  it('--limit pages through the blocks and prints the cursor to go on from', async () => {
    const { cli } = await loggedIn();
    await ok<Project>(cli, ['projects', 'create', '--name', 'Pages']);
    for (const s of ['one', 'two', 'three']) await ok<Block>(cli, ['projects', 'blocks', 'add', 'pages', '--type', 'text', '--text', s]);
    const first = await cli.run(['projects', 'blocks', 'list', 'pages', '--limit', '2']);
    expect(
      first.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s{2,}/)[2]),
    ).toEqual(['one', 'two']);
    const cursor = /More blocks: alumia projects blocks list pages --cursor (\S+)/.exec(first.stderr)?.[1];
    expect(cursor).toBeDefined();
    const rest = await ok<Block[]>(cli, ['projects', 'blocks', 'list', 'pages', '--cursor', cursor!]);
    expect(rest.map((x) => x.content.text)).toEqual(['three']);
  });

  it('bad content is VALIDATION_ERROR (exit 1) and changes nothing; misuse exits 2 before any request', async () => {
    const { cli } = await loggedIn();
    await ok<Project>(cli, ['projects', 'create', '--name', 'Strict']);
    const a = await ok<Block>(cli, ['projects', 'blocks', 'add', 'strict', '--type', 'text', '--text', 'a']);
    const level = await cli.run(['projects', 'blocks', 'add', 'strict', '--type', 'heading', '--content', '{"text":"x","level":7}']);
    expect(level.code).toBe(1);
    expect(level.stderr).toMatch(/^error: VALIDATION_ERROR: .*level must be 1 to 6/);
    const self = await cli.run(['projects', 'blocks', 'update', 'strict', a.id, '--after', a.id]);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('VALIDATION_ERROR');
    expect((await ok<Block[]>(cli, ['projects', 'blocks', 'list', 'strict'])).map((x) => x.id)).toEqual([a.id]);

    const usage: Array<[string[], RegExp]> = [
      [['add', 'strict', '--type', 'text'], /no content/],
      [['add', 'strict', '--text', 'no type'], /--type/],
      [['add', 'strict', '--type', 'video', '--text', 'x'], /video/],
      [['add', 'strict', '--type', 'heading', '--text', 'x', '--level', '7'], /1 to 6/],
      [['add', 'strict', '--type', 'text', '--text', 'x', '--content', '{"text":"y"}'], /not both/],
      [['update', 'strict', a.id], /nothing to update/],
      [['update', 'strict', a.id, '--first', '--after', a.id], /cannot be used with/],
      [[], /Usage: alumia projects blocks/],
    ];
    for (const [args, message] of usage) {
      const r = await cli.run(['projects', 'blocks', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect((await ok<Block[]>(cli, ['projects', 'blocks', 'list', 'strict'])).map((x) => x.content.text)).toEqual(['a']);
  });
});

describe('alumia sessions --project', () => {
  it('create --project, list --project and update --project (empty takes it out)', async () => {
    const { cli } = await loggedIn();
    const p = await ok<Project>(cli, ['projects', 'create', '--name', 'Sessions home']);
    const inside = await ok<Session>(cli, ['sessions', 'create', '--agents', 'ala', '--project', 'sessions-home']);
    expect(inside.projectId).toBe(p.id);
    const outside = await ok<Session>(cli, ['sessions', 'create', '--agents', 'ala']);
    expect(outside.projectId).toBeNull();
    expect((await ok<Session[]>(cli, ['sessions', 'list', '--project', p.id])).map((s) => s.id)).toEqual([inside.id]);
    expect((await ok<Session>(cli, ['sessions', 'update', outside.id, '--project', 'sessions-home'])).projectId).toBe(p.id);
    expect((await ok<Session>(cli, ['sessions', 'update', inside.id, '--project', ''])).projectId).toBeNull();
    expect((await ok<Session[]>(cli, ['sessions', 'list', '--project', 'sessions-home'])).map((s) => s.id)).toEqual([outside.id]);
    const unknown = await cli.run(['sessions', 'create', '--agents', 'ala', '--project', 'no-such-project']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/projectId/);
  });
});
