import { readdirSync, readFileSync } from 'node:fs';

/**
 * The server's own node process at or under a pid: `startServer` runs it directly (`node --import tsx`),
 * while the `tsx` CLI would be a wrapper with the server in a child. Tests that kill the server or sample
 * its memory need the server's pid, not a wrapper's. Linux only (/proc).
 */
export function serverPid(wrapperPid: number): number {
  const seen = new Set<number>();
  const walk = (pid: number): number | undefined => {
    if (seen.has(pid)) return undefined;
    seen.add(pid);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (cmdline.some((a) => a.endsWith('server/main.ts')) && !cmdline.some((a) => a.endsWith('tsx/dist/cli.mjs'))) return pid;
    for (const child of childrenOf(pid)) {
      const found = walk(child);
      if (found) return found;
    }
    return undefined;
  };
  const found = walk(wrapperPid);
  if (!found) throw new Error(`no server process under pid ${wrapperPid}`);
  return found;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // the task ended meanwhile
    }
  }
  return out;
}

/** Resident set size of a process, in kilobytes (VmRSS of /proc/<pid>/status). */
export function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
