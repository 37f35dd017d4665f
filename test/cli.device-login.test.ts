import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALUMIA_BIN, cliHome, type CliHome } from './helpers/cli-process.js';
import { cookieHeaders, givePassword, signIn } from './helpers/browser-session.js';
import { expectSuccess } from './helpers/envelope.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { listen, type Served } from './helpers/live-http.js';

/** `alumia login --web` as a real process against a live server, approved through the API with a cookie session. */
let h: Harness;
let t: Tenant;
let password: string;
let server: Served;
let home: CliHome;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  password = await givePassword(h, t);
  server = await listen(h.app);
  home = cliHome();
});
afterAll(async () => {
  home.remove();
  await server.close();
  await h.close();
});

/** Starts `alumia login --web`; `approveWith` runs once the code is on stderr. */
function loginWeb(onCode: (uri: string, userCode: string) => Promise<void>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [ALUMIA_BIN, 'login', '--web', '--base-url', server.url], {
      env: { PATH: process.env.PATH ?? '', HOME: home.path, XDG_CONFIG_HOME: home.path, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let seen = false;
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => {
      stderr += c;
      const m = /Open (\S+)\nand confirm the code ([A-Z]{4}-[A-Z]{4})/.exec(stderr);
      if (m && !seen) {
        seen = true;
        onCode(m[1]!, m[2]!).catch(reject);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}

describe('alumia login --web', () => {
  it('prints the link and code to stderr, waits for approval, stores a working key and prints what login prints', async () => {
    const run = await loginWeb(async (uri, userCode) => {
      expect(uri).toBe(`${server.url}/dashboard/device?code=${userCode}`);
      const { headers } = await signIn(h.http, t.email, password);
      const seen = expectSuccess(await h.http.get('/api/v1/auth/device').query({ userCode }).set(headers));
      expect(seen.clientName).toMatch(/^alumia CLI on /);
      expectSuccess(await h.http.post('/api/v1/auth/device/approve').set(headers).send({ userCode }));
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Logged in to ${server.url} as ${t.email}`);
    const stored = JSON.parse(readFileSync(home.credentials, 'utf8')) as { apiKey: string; baseUrl: string };
    expect(stored.baseUrl).toBe(server.url);
    expect(stored.apiKey).toMatch(/^alm_test_[0-9a-f]{48}$/);
    // The key is nowhere on the terminal.
    expect(run.stdout + run.stderr).not.toContain(stored.apiKey);
    const me = expectSuccess(await h.http.get('/api/v1/me').set({ Authorization: `Bearer ${stored.apiKey}` }));
    expect(me.user.id).toBe(t.userId);
    const whoami = await home.run(['whoami', '--base-url', server.url]);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.stdout).toContain(t.email);
  });

  it('exits 3 (auth) when the login is denied, storing nothing new', async () => {
    const before = readFileSync(home.credentials, 'utf8');
    const run = await loginWeb(async (_uri, userCode) => {
      const { token } = await signIn(h.http, t.email, password);
      expectSuccess(await h.http.post('/api/v1/auth/device/deny').set(cookieHeaders(token)).send({ userCode }));
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('denied');
    expect(readFileSync(home.credentials, 'utf8')).toBe(before);
  });
});
