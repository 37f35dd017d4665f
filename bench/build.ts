// The code under test: building dist (when stale), a private snapshot of it for the servers to run, and
// what was built (commit, uncommitted server changes, a hash of dist/server). Every function takes the
// checkout's root, this one by default; the A/B mode (ab.ts) passes others.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, log } from './lib.js';

export const serverEntryOf = (root: string) => join(root, 'dist', 'server', 'main.js');
export const SERVER_ENTRY = serverEntryOf(ROOT);

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** dist/server/main.js exists and is newer than every source the build reads. */
export function distIsFresh(root = ROOT): boolean {
  const entry = serverEntryOf(root);
  if (!existsSync(entry)) return false;
  const built = statSync(entry).mtimeMs;
  const sources = ['server', 'openapi', 'prisma', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((p) => join(root, p));
  return sources.every((s) => newestMtime(s) <= built);
}

/** Builds with `npm run build` unless dist is newer than every source (or the caller says not to). */
export function ensureBuild(mode: 'auto' | 'always' | 'never', root = ROOT) {
  const entry = serverEntryOf(root);
  if (mode === 'never' || (mode === 'auto' && distIsFresh(root))) {
    log(`build: reusing ${entry}${mode === 'never' ? ' (--no-build)' : ' (newer than its sources)'}`);
    return;
  }
  log(`build: npm run build${root === ROOT ? '' : ` in ${root}`} ...`);
  const started = performance.now();
  try {
    execFileSync('npm', ['run', '--silent', 'build'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    log(
      `build failed:\n${String(e.stdout ?? '')
        .split('\n')
        .slice(-30)
        .join('\n')}\n${String(e.stderr ?? '')
        .split('\n')
        .slice(-30)
        .join('\n')}`,
    );
    throw new Error('npm run build failed (use --no-build to bench the existing dist)', { cause: err });
  }
  log(`build: done in ${Math.round((performance.now() - started) / 1000)} s`);
}

/**
 * Copies the built server into a private directory so that other people rebuilding dist/ while the bench
 * runs cannot change the code under test between two server starts. The copy is laid out like the
 * project (package.json at its root, so the server finds its contract, migrations and model catalog;
 * node_modules linked), and `entry` is its dist/server/main.js.
 */
export function snapshotBuild(from = ROOT): { root: string; entry: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'alumia-bench-app-'));
  cpSync(join(from, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(from, 'node_modules'), join(root, 'node_modules'), 'dir');
  for (const dir of [
    ['dist', 'server'],
    ['dist', 'generated'],
  ]) {
    if (existsSync(join(from, ...dir))) cpSync(join(from, ...dir), join(root, ...dir), { recursive: true });
  }
  cpSync(join(from, 'generated', 'openapi.json'), join(root, 'generated', 'openapi.json'));
  cpSync(join(from, 'prisma', 'migrations'), join(root, 'prisma', 'migrations'), { recursive: true });
  cpSync(join(from, 'server', 'data', 'models.json'), join(root, 'server', 'data', 'models.json'));
  return { root, entry: serverEntryOf(root), remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Which code was measured: the commit, whether the working tree differs in what the server is built from, and a hash of dist/server. */
export function buildInfo(root = ROOT) {
  const git = (...a: string[]) => {
    try {
      return execFileSync('git', a, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const hash = createHash('sha256');
  const add = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir).sort()) {
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) add(p);
      else if (entry.endsWith('.js')) hash.update(entry).update(readFileSync(p));
    }
  };
  add(join(root, 'dist', 'server'));
  const dirty = git('status', '--porcelain', '--', 'server', 'prisma', 'openapi', 'package.json');
  return {
    commit: git('rev-parse', '--short', 'HEAD'),
    uncommittedServerChanges: dirty === null ? null : dirty.length > 0,
    distServerSha256: hash.digest('hex').slice(0, 16),
  };
}
