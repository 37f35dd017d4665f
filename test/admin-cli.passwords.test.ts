import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isPasswordCommand, parsePasswordCommand, readPasswordLine, runPasswordCommand } from '../server/admin-passwords.js';
import { loadConfig } from '../server/config.js';
import { PasswordStore } from '../server/data/passwords.js';
import { openDatabase } from '../server/db/database.js';
import { createLogger } from '../server/logger.js';
import { fromRoot } from '../server/paths.js';
import { expectSuccess } from './helpers/envelope.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { childEnv, runAdmin, startServer, tempDir, type CliResult } from './helpers/processes.js';

/**
 * The admin password commands (server/admin-passwords.ts): `password-link` and `set-password`, first as
 * module functions over this file's database, then as the operator runs them (`tsx server/admin.ts ...`),
 * and the one-time link the first start of a server prints for its owner.
 */

const SLOW = 120_000;
const GOOD = 'tidal lantern orchard 42';
const LINK = /^(https?:\/\/[^#\s]+)\/dashboard\/set-password#token=([A-Za-z0-9_-]{43})$/;
const postgres = inject('postgres');

let h: Harness;
let t: Tenant;
let store: PasswordStore;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  store = new PasswordStore(h.db.prisma);
});
afterAll(() => h.close());

describe('parsePasswordCommand', () => {
  it('reads both commands, lower-casing the email', () => {
    expect(parsePasswordCommand('password-link', { email: 'Ada@Example.test', json: true })).toEqual({
      name: 'password-link',
      email: 'ada@example.test',
      baseUrl: undefined,
      json: true,
    });
    expect(parsePasswordCommand('password-link', { email: 'a@b.test', 'base-url': 'https://alumia.example.com/' })).toMatchObject({
      baseUrl: 'https://alumia.example.com',
    });
    expect(parsePasswordCommand('set-password', { email: 'a@b.test' })).toEqual({ name: 'set-password', email: 'a@b.test', json: true });
    expect(isPasswordCommand('bootstrap')).toBe(false);
  });

  it.each([
    ['no email', 'password-link', {}, /--email/],
    ['a bad email', 'set-password', { email: 'nope' }, /--email/],
    ['a base URL that is not http', 'password-link', { email: 'a@b.test', 'base-url': 'ftp://x.test' }, /--base-url/],
    ['a base URL that is no URL', 'password-link', { email: 'a@b.test', 'base-url': 'localhost' }, /--base-url/],
    ['a base URL with a fragment', 'password-link', { email: 'a@b.test', 'base-url': 'https://x.test/#a' }, /--base-url/],
    ['--base-url on set-password', 'set-password', { email: 'a@b.test', 'base-url': 'https://x.test' }, /--base-url/],
    ['another command', 'bootstrap', { email: 'a@b.test' }, /Unknown command/],
  ])('refuses %s', (_what, name, values, message) => {
    expect(() => parsePasswordCommand(name, values)).toThrow(message);
  });
});

describe('readPasswordLine', () => {
  const read = (...chunks: string[]) => readPasswordLine(Readable.from(chunks));

  it('takes one line and strips only its line ending', async () => {
    expect(await read(`${GOOD}\n`)).toBe(GOOD);
    expect(await read(`${GOOD}\r\n`)).toBe(GOOD);
    expect(await read('  spaced ', 'out  ')).toBe('  spaced out  ');
  });

  it('refuses nothing and more than one line', async () => {
    await expect(read('')).rejects.toThrow(/No password/);
    await expect(read('\n')).rejects.toThrow(/No password/);
    await expect(read('first\nsecond\n')).rejects.toThrow(/one line/);
  });
});

describe('runPasswordCommand', () => {
  it('password-link: a new 24 h link on http://localhost:<PORT> or the given base, whose token sets the password', async () => {
    const link = await runPasswordCommand({ name: 'password-link', email: t.email.toUpperCase(), baseUrl: undefined, json: true }, h.db, {
      port: 4321,
    });
    expect(Object.keys(link).sort()).toEqual(['expiresAt', 'url']);
    const [, base, token] = LINK.exec(String(link.url))!;
    expect(base).toBe('http://localhost:4321');
    expect(Date.parse(String(link.expiresAt)) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    const other = await runPasswordCommand(
      { name: 'password-link', email: t.email, baseUrl: 'https://alumia.example.com', json: true },
      h.db,
      {
        port: 4321,
      },
    );
    expect(LINK.exec(String(other.url))![1]).toBe('https://alumia.example.com');
    expect(await store.useLink(token!, GOOD)).toEqual({ userId: t.userId, email: t.email });
  });

  it('set-password: the password from the stream, policy-checked; { userId, email }', async () => {
    const u = await h.tenant();
    const run = (input: string) =>
      runPasswordCommand({ name: 'set-password', email: u.email, json: true }, h.db, { port: 3000, stdin: Readable.from([input]) });
    await expect(run('Password1234\n')).rejects.toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(/most common/) });
    expect(await run(`${GOOD}\n`)).toEqual({ userId: u.userId, email: u.email });
    expect(await store.verifyLogin(u.email, GOOD)).toEqual({ userId: u.userId });
  });

  it('refuses an unknown email (404) without creating anything', async () => {
    await expect(
      runPasswordCommand({ name: 'password-link', email: 'nobody@example.test', baseUrl: undefined, json: true }, h.db, { port: 3000 }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

// The CLI cases need the commands wired into server/admin.ts, which another helper owns.
const wired = readFileSync(fromRoot('server', 'admin.ts'), 'utf8').includes('isPasswordCommand');
if (!wired)
  console.log('admin-cli.passwords.test.ts: server/admin.ts does not route the password commands yet, so the CLI cases are skipped');

/** `tsx server/admin.ts <args>` with `input` on stdin. */
function runAdminWithInput(args: string[], env: Record<string, string>, input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(fromRoot('node_modules', '.bin', 'tsx'), ['server/admin.ts', ...args], { cwd: fromRoot(), env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe.skipIf(!wired)('the admin CLI', () => {
  // On PostgreSQL the CLI shares this file's database; on the embedded one it gets a data dir of its own.
  const dir = tempDir('admin-passwords');
  const env: Record<string, string> = postgres ? {} : { DATA_DIR: dir.path };
  const email = 'ops@passwords.test';
  afterAll(() => dir.remove());
  beforeAll(async () => {
    if (postgres) env.DATABASE_URL = h.url!;
    const boot = await runAdmin(['bootstrap', '--org', 'pw-cli', '--email', email, '--json'], env);
    expect(boot.code, boot.stderr).toBe(0);
  }, SLOW);

  /** The CLI's database, opened once the CLI has exited (the embedded dir admits one process). */
  async function withStore<T>(fn: (s: PasswordStore) => Promise<T>): Promise<T> {
    const db = await openDatabase(loadConfig({ ...env, NODE_ENV: 'test' }), createLogger('silent'));
    try {
      return await fn(new PasswordStore(db.prisma));
    } finally {
      await db.close();
    }
  }

  it(
    'password-link --json prints one JSON object { url, expiresAt } on the PORT default',
    async () => {
      const run = await runAdmin(['password-link', '--email', email.toUpperCase(), '--json'], { ...env, PORT: '4321' });
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const out = JSON.parse(lines[0]!) as { url: string; expiresAt: string };
      expect(Object.keys(out).sort()).toEqual(['expiresAt', 'url']);
      const [, base, token] = LINK.exec(out.url)!;
      expect(base).toBe('http://localhost:4321');
      expect(await withStore((s) => s.useLink(token!, GOOD))).toMatchObject({ email });
    },
    SLOW,
  );

  it(
    'set-password reads one line from stdin and prints { userId, email }; a refused one exits non-zero with the reason',
    async () => {
      const refused = await runAdminWithInput(['set-password', '--email', email], env, 'qwertyuiop123\n');
      expect(refused.code).not.toBe(0);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/most common passwords/);
      const ok = await runAdminWithInput(['set-password', '--email', email], env, 'a fresh passphrase of mine\n');
      expect(ok.code, ok.stderr).toBe(0);
      const out = JSON.parse(ok.stdout.trim()) as Record<string, string>;
      expect(Object.keys(out).sort()).toEqual(['email', 'userId']);
      expect(out.email).toBe(email);
      expect(await withStore((s) => s.verifyLogin(email, 'a fresh passphrase of mine'))).toEqual({ userId: out.userId });
    },
    SLOW,
  );

  it(
    'refuses an unknown email with exit 1 and a usage error with exit 2',
    async () => {
      const unknown = await runAdmin(['password-link', '--email', 'nobody@passwords.test', '--json'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/No user with email/);
      const usage = await runAdmin(['password-link', '--email', 'nope', '--json'], env);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/--email/);
    },
    SLOW,
  );
});

if (postgres) console.log('admin-cli.passwords.test.ts: PostgreSQL run, so the first-start case (an embedded data dir) is skipped');
describe.skipIf(postgres)('the first start', () => {
  const dir = tempDir('first-start-link');
  afterAll(() => dir.remove());

  it(
    "prints a one-time link for the owner's password, on this server's port, that works once",
    async () => {
      const server = await startServer({ DATA_DIR: dir.path });
      try {
        await server.waitForOutput((out) => /set-password#token=\S+\n/.test(out), 30_000);
        const line = server
          .stdout()
          .split('\n')
          .find((l) => l.includes('set-password#token='))!;
        const [, base, token] = LINK.exec(line.trim())!;
        expect(base).toBe(`http://localhost:${server.port}`);
        const set = () =>
          fetch(server.url('/api/v1/auth/password/set'), {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ token, password: GOOD }),
          });
        const first = await set();
        const headers = {
          'content-type': first.headers.get('content-type') ?? '',
          'x-request-id': first.headers.get('x-request-id') ?? '',
        };
        expect(expectSuccess({ status: first.status, headers, body: await first.json() })).toMatchObject({ email: 'owner@localhost' });
        expect((await set()).status).toBe(404);
      } finally {
        await server.stop('SIGTERM');
      }
    },
    SLOW,
  );
});
