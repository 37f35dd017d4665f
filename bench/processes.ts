// Child processes for the bench: the servers and the baseline it starts, each in its own process group
// (pinned to a core with taskset when there is one), killed as a group, and SIGKILLed on any exit of ours;
// plus free ports and waiting for /readyz.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { ROOT, log, sleep } from './lib.js';

const children = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of children) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

let tasksetPath: string | null | undefined;
export function taskset(): string | null {
  if (tasksetPath === undefined) {
    tasksetPath = null;
    for (const p of ['/usr/bin/taskset', '/bin/taskset', '/usr/local/bin/taskset']) if (existsSync(p)) tasksetPath = p;
    // Pinning needs at least two usable cores; on one core both sides share it anyway.
    if (tasksetPath && cpus().length < 2) tasksetPath = null;
  }
  return tasksetPath;
}

/** Pins every thread of this process to `core` (autocannon runs in this process). */
export function pinSelf(core: number): boolean {
  const ts = taskset();
  if (!ts) return false;
  try {
    execFileSync(ts, ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string>;
  startedAt: number;
}

/**
 * Starts `cmd args` (under `taskset -c core` when available) in its own process group. stdout/stderr go to
 * the given file (appended) so a noisy logger costs the server a write, not the load generator a pipe read.
 */
export function startProcess(
  cmd: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; core?: number; logFile?: string; cwd?: string },
): Spawned {
  const ts = options.core !== undefined ? taskset() : null;
  const [file, argv] = ts ? [ts, ['-c', String(options.core), cmd, ...args]] : [cmd, args];
  const fd = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const startedAt = performance.now();
  const child = spawn(file, argv, {
    cwd: options.cwd ?? ROOT,
    env: options.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  if (typeof fd === 'number') closeSync(fd);
  children.add(child);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', () => {
      children.delete(child);
      resolve('spawn-error');
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  return { child, pid: child.pid, exited, startedAt };
}

/** Signals the process group, waits up to timeoutMs, then SIGKILLs it. */
export async function stopProcess(p: Spawned, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | string> {
  killGroup(p.child, signal);
  const timer = setTimeout(() => killGroup(p.child, 'SIGKILL'), timeoutMs);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}

export async function stopAllProcesses() {
  await Promise.all(
    [...children].map((child) => {
      killGroup(child, 'SIGTERM');
      return new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          killGroup(child, 'SIGKILL');
          resolve();
        }, 5_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(t);
          resolve();
        }
      });
    }),
  );
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Polls `url` until it answers 200; resolves with ms since `since` (performance.now()). Fails when the
 * process exits first or the deadline passes.
 */
export async function waitReady(url: string, proc: Spawned, timeoutMs = 60_000, intervalMs = 5): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let exited: number | string | undefined;
  void proc.exited.then((c) => (exited = c));
  while (performance.now() < deadline) {
    if (exited !== undefined) throw new Error(`server exited (${exited}) before ${url} answered 200`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - proc.startedAt;
    } catch {
      // not listening yet
    }
    await sleep(intervalMs);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/**
 * Runs `main` as the whole program, bounded: after `budgetS` seconds it stops itself (exit 2); SIGINT,
 * SIGTERM and SIGHUP clean up and exit 130; a failure logs, calls `onFailure`, cleans up and exits 1.
 * `cleanup` runs on every way out and must be safe to call twice.
 */
export function runBounded(
  name: string,
  main: () => Promise<void>,
  options: { budgetS: number; cleanup: () => Promise<void>; onFailure?: () => void },
) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      log(`\n${name}: ${signal}, cleaning up`);
      void options.cleanup().finally(() => process.exit(130));
    });
  }
  const watchdog = setTimeout(() => {
    log(`${name}: still running after ${options.budgetS} s (budget), stopping`);
    void options.cleanup().finally(() => process.exit(2));
  }, options.budgetS * 1000);
  watchdog.unref();
  main()
    .then(async () => {
      clearTimeout(watchdog);
      await options.cleanup();
      process.exit(0);
    })
    .catch(async (err: Error) => {
      log(`${name}: failed: ${err.stack ?? err}`);
      options.onFailure?.();
      await options.cleanup();
      process.exit(1);
    });
}
