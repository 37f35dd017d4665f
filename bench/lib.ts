// Process, port, database and /proc helpers shared by bench/run.ts and bench/profile.ts.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SERVER_ENTRY = join(ROOT, 'dist', 'server', 'main.js');
export const DEFAULT_ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const log = (...parts: unknown[]) => process.stderr.write(parts.join(' ') + '\n');

// ---------------------------------------------------------------------------------------------------------
// Child processes: each in its own process group, killed as a group, and SIGKILLed on any exit of ours.

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
  await Promise.all([...children].map((child) => {
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
  }));
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

// ---------------------------------------------------------------------------------------------------------
// /proc readings.

export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** user + system CPU seconds used so far by one process (all its threads). */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores; user, nice, system, irq, softirq, steal). */
export function machineBusySeconds(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return (user + nice + system + irq + softirq + steal) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Sum of cpuSeconds over pids, keyed by pid so a later reading can be subtracted per process. */
export function cpuByPid(pids: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const pid of pids) {
    const s = cpuSeconds(pid);
    if (s !== null) m.set(pid, s);
  }
  return m;
}

/**
 * Seconds the process's main thread has spent runnable but waiting for a CPU (/proc/<pid>/schedstat, second
 * field): how much other processes on its core held it back.
 */
export function runQueueWaitSeconds(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return null;
  }
}

/** Waits (at most maxS seconds) until the 1-minute load average is below `below`; returns the last reading. */
export async function waitQuiet(below: number, maxS: number): Promise<number | null> {
  const deadline = Date.now() + maxS * 1000;
  let load = loadAverage();
  while (load !== null && load >= below && Date.now() < deadline) {
    await sleep(5_000);
    load = loadAverage();
  }
  return load;
}

export function loadAverage(): number | null {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

/** CPU seconds of every local process whose command is `postgres` (the database's share of the work). */
export function postgresCpuSeconds(): number | null {
  try {
    let total = 0;
    let found = false;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let comm: string;
      try {
        comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      } catch {
        continue;
      }
      if (comm !== 'postgres') continue;
      const s = cpuSeconds(Number(entry));
      if (s !== null) {
        total += s;
        found = true;
      }
    }
    return found ? total : null;
  } catch {
    return null;
  }
}

const CALIBRATION = `
const { createHash } = require('node:crypto');
const t0 = process.cpuUsage();
let x = 0;
for (let i = 0; i < 1e5; i++) {
  x += createHash('sha256').update('k' + i).digest()[0];
  x += JSON.parse(JSON.stringify({ a: i, b: [1, 2, 3], c: 'x'.repeat(20) })).a & 1;
}
const c = process.cpuUsage(t0);
process.stdout.write(String((c.user + c.system) / 1000));`;

/**
 * CPU milliseconds a fixed piece of work (hashing and JSON, like a request) takes on `core` right now: a
 * speed index of the machine at that moment. On a shared VM it drifts with the neighbours' load.
 */
export function calibrate(core: number): number | null {
  try {
    const ts = taskset();
    const [file, argv] = ts ? [ts, ['-c', String(core), process.execPath, '-e', CALIBRATION]] : [process.execPath, ['-e', CALIBRATION]];
    return Math.round(Number(execFileSync(file, argv, { encoding: 'utf8', timeout: 30_000 })));
  } catch {
    return null;
  }
}

export function machineInfo() {
  const list = cpus();
  let osRelease = '';
  try {
    osRelease = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    // not Linux
  }
  return {
    hostname: hostname(),
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryMb: Math.round(Number(readMemTotalKb() ?? 0) / 1024),
    node: process.version,
    os: osRelease || process.platform,
    taskset: taskset() !== null,
  };
}

function readMemTotalKb(): string | undefined {
  try {
    return /MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Which code was measured: the commit, whether the working tree differs in what the server is built from, and a hash of dist/server. */
export function buildInfo() {
  const git = (...a: string[]) => {
    try {
      return execFileSync('git', a, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
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
  add(join(ROOT, 'dist', 'server'));
  const dirty = git('status', '--porcelain', '--', 'server', 'prisma', 'openapi', 'package.json');
  return {
    commit: git('rev-parse', '--short', 'HEAD'),
    uncommittedServerChanges: dirty === null ? null : dirty.length > 0,
    distServerSha256: hash.digest('hex').slice(0, 16),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Build freshness.

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** dist/server/main.js exists and is newer than every source the build reads. */
export function distIsFresh(): boolean {
  if (!existsSync(SERVER_ENTRY)) return false;
  const built = statSync(SERVER_ENTRY).mtimeMs;
  const sources = ['server', 'openapi', 'prisma', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((p) => join(ROOT, p));
  return sources.every((s) => newestMtime(s) <= built);
}

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL.

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery(adminUrl: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Only loopback database hosts: the bench creates and drops databases and must not touch anything else. */
export function assertLoopback(url: string) {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]', ''].includes(host)) {
    throw new Error(`DATABASE_URL must point at 127.0.0.1 for the bench (got host ${host})`);
  }
}

export function quantile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx]!;
}

export const round = (n: number, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);
