// Readings of this machine and its processes (/proc): memory, CPU seconds per process and of the whole
// machine, run-queue waits, load average, a speed index, and the machine facts that go into the results.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { sleep } from './lib.js';
import { taskset } from './processes.js';

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
