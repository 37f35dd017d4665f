import { createHash } from 'node:crypto';
import { mkdirSync, openSync, writeSync, closeSync, readFileSync, unlinkSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export class DataDirLockedError extends Error {}

/**
 * PGlite has no lock of its own, and a second process writing the same files destroys data, so one
 * process owns a data dir at a time. On Linux the lock is an abstract Unix socket named after the
 * directory: the kernel releases it when the owner dies, even by SIGKILL, so there is no stale state to
 * judge. Elsewhere it is a pid file created with O_EXCL, taken over when its pid is gone.
 * Resolves to a function that releases the lock.
 */
export async function lockDataDir(dataDir: string): Promise<() => void> {
  mkdirSync(dataDir, { recursive: true });
  const dir = realpathSync(dataDir);
  return process.platform === 'linux' ? lockWithSocket(dir) : lockWithPidFile(dir);
}

const inUse = (dir: string, by: string) =>
  new DataDirLockedError(`The data directory ${dir} is in use by ${by}. Stop it first, or point DATA_DIR elsewhere.`);

function lockWithSocket(dir: string): Promise<() => void> {
  const name = '\0alumia-data-dir-' + createHash('sha256').update(dir).digest('hex').slice(0, 32);
  const server = createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? inUse(dir, 'another process') : err));
    server.listen({ path: name }, () => {
      server.unref();
      resolve(() => server.close());
    });
  });
}

function lockWithPidFile(dir: string): () => void {
  const lockPath = join(dir, 'server.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => unlinkSync(lockPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(lockPath, 'utf8'));
      if (isAlive(owner)) throw inUse(dir, `process ${owner}`);
      unlinkSync(lockPath);
    }
  }
  throw inUse(dir, 'another process that keeps taking it');
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
