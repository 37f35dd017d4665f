import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../server/paths.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { listen, type Served } from './helpers/live-http.js';

// The client package as npm would ship it (compiled dist/, package exports, declarations, the bin), run
// against the real server on real HTTP.

let h: Harness;
let server: Served;
beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app);
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

describe('the published package', () => {
  const run = promisify(execFile);
  let dir: string;
  let pkg: string;
  beforeAll(async () => {
    // Build the package as `npm pack` would ship it: the compiled dist/ plus what package.json `files` lists,
    // installed under node_modules of an empty project, with no access to the repository's sources.
    dir = mkdtempSync(join(tmpdir(), 'alumia-client-pkg-'));
    pkg = join(dir, 'node_modules', '@alumia', 'client');
    mkdirSync(pkg, { recursive: true });
    await run(process.execPath, [
      fromRoot('node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      fromRoot('client', 'tsconfig.json'),
      '--outDir',
      join(pkg, 'dist'),
    ]);
    const manifest = JSON.parse(readFileSync(fromRoot('client', 'package.json'), 'utf8')) as { files: string[] };
    cpSync(fromRoot('client', 'package.json'), join(pkg, 'package.json'));
    for (const entry of manifest.files.filter((f) => f !== 'dist'))
      cpSync(fromRoot('client', entry), join(pkg, entry), { recursive: true });
    // The CLI's own dependencies (commander, cli-table3, picocolors), as npm would install them.
    symlinkSync(fromRoot('node_modules'), join(pkg, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const jsFiles = (root: string): string[] =>
    readdirSync(root).flatMap((name) => {
      const path = join(root, name);
      return statSync(path).isDirectory() ? jsFiles(path) : path.endsWith('.js') ? [path] : [];
    });

  it('ships the generated SDK inside dist, and no Node built-in outside the CLI', () => {
    expect(existsSync(join(pkg, 'dist', 'generated', 'sdk', 'sdk.gen.js'))).toBe(true);
    expect(existsSync(join(pkg, 'dist', 'client', 'src', 'index.d.ts'))).toBe(true);
    const library = jsFiles(join(pkg, 'dist')).filter((f) => !/[\\/]cli([\\/]|\.js$)/.test(relative(pkg, f)));
    expect(library.length).toBeGreaterThan(10);
    for (const file of library) {
      const text = readFileSync(file, 'utf8');
      expect(text, relative(pkg, file)).not.toMatch(
        /from ['"](node:[^'"]+|fs|os|path|crypto|http|https|child_process|stream|url)['"]|import\(['"]node:|require\(|\bprocess\./,
      );
    }
  });

  it('works from plain JavaScript through its package exports', async () => {
    const t = await h.tenant();
    writeFileSync(
      join(dir, 'app.mjs'),
      `import { createClient, isAlumiaError } from '@alumia/client';
const client = createClient();
const me = await client.me();
const agents = await client.agents.list().toArray();
let code = null;
try { await client.agents.get('no-such-agent'); } catch (e) { if (isAlumiaError(e, 'NOT_FOUND')) code = e.code; }
const echo = await client.agents.create({ name: 'Echo', model: 'alumia-local' });
const session = await client.sessions.create({ agentIds: [echo.id] });
const events = [];
for await (const e of client.sessions.chatStream(session.id, { content: 'hi' })) events.push(e.event);
console.log(JSON.stringify({ org: me.org.id, agents: agents.map((a) => a.slug), code, events: [...new Set(events)] }));
`,
    );
    const { stdout } = await run(process.execPath, ['app.mjs'], {
      cwd: dir,
      env: { PATH: process.env.PATH, ALUMIA_API_KEY: t.key, ALUMIA_BASE_URL: server.url },
    });
    expect(JSON.parse(stdout)).toEqual({ org: t.orgId, agents: ['ala'], code: 'NOT_FOUND', events: ['message', 'delta', 'reply', 'done'] });
  });

  it('typechecks a TypeScript consumer against its declarations, without Node types', async () => {
    writeFileSync(
      join(dir, 'consumer.ts'),
      `import { createClient, isAlumiaError, type Agent, type ChatStreamEvent, type Page } from '@alumia/client';
const client = createClient({ apiKey: 'alm_test_x', baseUrl: 'https://alumia.example.com' });
export async function slugs(): Promise<string[]> {
  const page: Page<Agent> = await client.agents.listPage({ limit: 10 });
  const all: Agent[] = await client.agents.list().toArray();
  try {
    await client.agents.get('x');
  } catch (e) {
    if (isAlumiaError(e, 'NOT_FOUND')) {
      const code: 'NOT_FOUND' = e.code;
      return [code];
    }
  }
  return [...page.items, ...all].map((a) => a.slug);
}
export async function reply(session: string): Promise<string> {
  let text = '';
  for await (const e of client.sessions.chatStream(session, { content: 'hi' }, { signal: AbortSignal.timeout(5000) })) {
    const event: ChatStreamEvent = e;
    if (event.event === 'delta') text += event.data.text;
  }
  const { credits } = await client.billing.credits();
  return text + String(credits);
}
`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: [],
          skipLibCheck: false,
        },
        files: ['consumer.ts'],
      }),
    );
    const result = await run(process.execPath, [
      fromRoot('node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(dir, 'tsconfig.json'),
    ]).catch((e: { stdout: string }) => e);
    expect(result.stdout).toBe('');
  }, 60_000);

  it('runs the alumia bin from the compiled dist', async () => {
    const t = await h.tenant();
    const { stdout } = await run(process.execPath, [join(pkg, 'bin', 'alumia.js'), 'whoami', '--json'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), ALUMIA_API_KEY: t.key, ALUMIA_BASE_URL: server.url },
    });
    expect(JSON.parse(stdout).org.id).toBe(t.orgId);
    const { stdout: version } = await run(process.execPath, [join(pkg, 'bin', 'alumia.js'), '--version'], { cwd: dir });
    expect(version.trim()).toBe(JSON.parse(readFileSync(fromRoot('client', 'package.json'), 'utf8')).version);
  });
});
