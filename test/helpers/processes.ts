import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_VARIABLES } from '../../server/config.js';
import { fromRoot } from '../../server/paths.js';

/**
 * Real processes, started the way an operator starts them (`node --import tsx server/main.ts`,
 * `tsx server/admin.ts`), with an environment that carries nothing of the test run's own configuration;
 * and what tests read of a process (memory, whether it runs). Linux only (/proc).
 */

const TSX = fromRoot('node_modules', '.bin', 'tsx');
// Everything server/config.ts reads: a child gets only what a test gives it.
const CONFIG_VARS: readonly string[] = CONFIG_VARIABLES;

export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of CONFIG_VARS) delete env[k];
  // vitest's own markers would make a child think it runs under vitest.
  for (const k of Object.keys(env)) if (k.startsWith('VITEST')) delete env[k];
  return { ...env, NODE_ENV: 'development', ...extra };
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `alumia-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tsx server/admin.ts <args>` to completion. */
export function runAdmin(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['server/admin.ts', ...args], { cwd: fromRoot(), env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** The JSON log lines so far. */
  logs(): Array<Record<string, unknown>>;
  /** Resolves when stdout satisfies `test`; rejects if the process exits first or time runs out. */
  waitForOutput(test: (stdout: string) => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Sends the signal (if still running) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  url(path: string): string;
}

// Servers a test could not stop (it timed out mid-way) must not outlive the test file and load the machine
// for the next ones: each runs in its own process group, killed at exit.
const running = new Set<number>();
process.on('exit', () => {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/** Starts the server (`server/main.ts`) on an ephemeral port and resolves once it logged "listening". */
export async function startServer(env: Record<string, string>, timeoutMs = 90_000): Promise<ServerProcess> {
  // One node process with tsx's loader, as `npm start` runs one node process: the tsx CLI would stand in
  // between, relay a signal, and SIGKILL the server (exit 143) if it does not confirm within 30 ms, as a
  // server busy starting up may not.
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: fromRoot(),
    env: childEnv({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child.pid!);
  let out = '';
  let err = '';
  let exitCode: number | null | undefined;
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  child.stdout.on('data', (c) => {
    out += c;
    notify();
  });
  child.stderr.on('data', (c) => (err += c));
  // 'close' rather than 'exit': it comes after stdout has been read to the end.
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      running.delete(child.pid!);
      exitCode = code;
      notify();
      resolve(code);
    }),
  );
  const logs = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  const waitForOutput = (test: (stdout: string) => boolean, ms = timeoutMs) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (test(out)) return done(resolve);
        if (exitCode !== undefined) done(() => reject(new Error(`server exited (${exitCode}) first.\nstdout:\n${out}\nstderr:\n${err}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out.\nstdout:\n${out}\nstderr:\n${err}`))), ms);
      const done = (f: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        f();
      };
      waiters.add(check);
      check();
    });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (exitCode === undefined) child.kill(signal);
    return exited;
  };
  try {
    await waitForOutput(() => logs().some((l) => l.msg === 'listening'));
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const port = Number(logs().find((l) => l.msg === 'listening')!.port);
  return {
    child,
    port,
    stdout: () => out,
    stderr: () => err,
    logs,
    waitForOutput,
    exited,
    stop,
    url: (path) => `http://127.0.0.1:${port}${path}`,
  };
}

/** Resident set size of a process, in kilobytes (VmRSS of /proc/<pid>/status). */
export function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

/** Whether a process of this pid exists (signal 0 checks without sending anything). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
