// `alumia mission-control` as a child process against the real server over real HTTP: the table of the
// feed with the filters as flags, --json, and --follow, which prints new rows as they come and stops on
// Ctrl-C with exit code 130.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MissionControl } from '../generated/sdk/types.gen.js';
import { ALUMIA_BIN, cliHome, type CliHome } from './helpers/cli-process.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { listen, type Served } from './helpers/live-http.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let h: Harness;
let server: Served;
let t: Tenant;
let cli: CliHome;

const insert = (kind: string, summary: string, at = Date.now()) =>
  h.db.sql(
    `INSERT INTO "Activity" ("orgId", kind, "actorType", "actorName", "subjectType", "subjectId", "subjectName", summary, "createdAt")
     VALUES ($1::uuid, $2, 'api_key', 'Deploy key', 'agent', $3::uuid, 'Subject', $4, $5::timestamptz)`,
    [t.orgId, kind, randomUUID(), summary, new Date(at)],
  );

beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app);
  t = await h.tenant();
  cli = cliHome();
  const login = await cli.run(['login', '--base-url', server.url, '--api-key', t.key]);
  expect(login.code, login.stderr).toBe(0);
  const base = Date.now() - 60_000;
  await insert('agent.created', 'Deploy key created agent Scout.', base);
  await insert('session.created', 'Deploy key opened a session with Scout.', base + 1000);
  await insert('agent.updated', 'Deploy key renamed agent Scout.', base + 2000);
});
afterAll(async () => {
  cli?.remove();
  await server?.close();
  await h?.close();
});

describe('alumia mission-control', () => {
  it('prints the totals and a table of the feed, newest first', async () => {
    const r = await cli.run(['mission-control', '--search', 'Scout']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Agents\s+1 \(1 active, 0 inactive\)/);
    expect(r.stdout).toMatch(/When\s+Kind\s+Actor\s+Summary\s+Machine/);
    const kinds = r.stdout.split('\n').flatMap((l) => /(agent|session)\.\w+/.exec(l)?.[0] ?? []);
    expect(kinds).toEqual(['agent.updated', 'session.created', 'agent.created']);
  });

  it('passes the filters as flags, agent.* included', async () => {
    const r = await cli.run(['mission-control', '--kind', 'agent.*', '--search', 'scout', '--limit', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Deploy key renamed agent Scout.');
    expect(r.stdout).not.toContain('Deploy key created agent Scout.');
    expect(r.stderr).toMatch(/More activity: alumia mission-control --cursor \S+/);
  });

  it('--json prints the whole snapshot', async () => {
    const r = await cli.run(['mission-control', '--json', '--search', 'Scout', '--kind', 'session.created']);
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout) as MissionControl;
    expect(Object.keys(data).sort()).toEqual(['activity', 'agents', 'machines', 'stats']);
    expect(data.activity.items.map((i) => i.summary)).toEqual(['Deploy key opened a session with Scout.']);
  });

  it('an invalid filter is an API error (exit 1); a bad --limit a usage error (exit 2)', async () => {
    const bad = await cli.run(['mission-control', '--kind', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('VALIDATION_ERROR');
    expect((await cli.run(['mission-control', '--limit', '101'])).code).toBe(2);
  });

  it('--follow prints the newest rows, then only new ones every 2 s, and stops on Ctrl-C with exit 130', async () => {
    const child = spawn(process.execPath, [ALUMIA_BIN, 'mission-control', '--follow', '--json', '--search', 'Scout'], {
      env: { PATH: process.env.PATH ?? '', HOME: cli.path, XDG_CONFIG_HOME: cli.path },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines = () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { summary: string }).summary);
    const until = async (ok: () => boolean) => {
      const end = Date.now() + 30_000;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`timed out; stdout: ${out}; stderr: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until(() => lines().length === 3);
      // Oldest first, like a log.
      expect(lines()).toEqual([
        'Deploy key created agent Scout.',
        'Deploy key opened a session with Scout.',
        'Deploy key renamed agent Scout.',
      ]);
      const before = Date.now();
      await insert('agent.deleted', 'Deploy key deleted agent Scout.');
      await until(() => lines().length === 4);
      expect(Date.now() - before).toBeLessThan(5_000);
      // A few more polls: nothing printed twice.
      await new Promise((r) => setTimeout(r, 4_500));
      expect(lines()).toEqual([
        'Deploy key created agent Scout.',
        'Deploy key opened a session with Scout.',
        'Deploy key renamed agent Scout.',
        'Deploy key deleted agent Scout.',
      ]);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
