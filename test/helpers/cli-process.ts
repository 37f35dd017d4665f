import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from '../../server/paths.js';

/**
 * Runs the `alumia` CLI as a child process, the way a user runs it from a clone: `node client/bin/alumia.js`
 * (which runs the TypeScript sources through tsx). The child sees only the environment a test gives it, plus
 * PATH and a private HOME / XDG_CONFIG_HOME, so nothing of the developer's own setup leaks in.
 */

export const ALUMIA_BIN = fromRoot('client', 'bin', 'alumia.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Each piece of stdout as it arrived, with Date.now() at its arrival. */
  stdoutChunks: Array<{ text: string; at: number }>;
  /** Date.now() when the process exited. */
  exitedAt: number;
}

export interface CliHome {
  /** Used as HOME and XDG_CONFIG_HOME. */
  path: string;
  /** Where `alumia login` stores credentials under this home. */
  credentials: string;
  run(args: string[], options?: CliOptions): Promise<CliRun>;
  remove(): void;
}

export interface CliOptions {
  env?: Record<string, string>;
  input?: string;
  /**
   * Closes the read end of the CLI's stdout or stderr, like a reader that goes away (`alumia … | head -1`):
   * at `start`, before the CLI has written anything, or after the `first-chunk` it wrote. What the CLI writes
   * afterwards fails with EPIPE.
   */
  hangUp?: { stream: 'stdout' | 'stderr'; after: 'start' | 'first-chunk' };
  /** Sends the CLI `signal` (Ctrl-C is SIGINT) once its stdout holds a non-blank character. */
  interrupt?: { signal: NodeJS.Signals; afterStdout: true };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ALUMIA_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const stdoutChunks: CliRun['stdoutChunks'] = [];
    let interrupted = false;
    child.stdout.on('data', (c) => {
      stdout += c;
      stdoutChunks.push({ text: String(c), at: Date.now() });
      if (options.interrupt && !interrupted && /\S/.test(stdout)) {
        interrupted = true;
        child.kill(options.interrupt.signal);
      }
    });
    child.stderr.on('data', (c) => (stderr += c));
    if (options.hangUp) {
      const stream = child[options.hangUp.stream];
      if (options.hangUp.after === 'start') stream.destroy();
      else stream.once('data', () => stream.destroy());
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, stdoutChunks, exitedAt: Date.now() });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A private home for one test: its own credentials file, removed by `remove()`. */
export function cliHome(): CliHome {
  const path = mkdtempSync(join(tmpdir(), 'alumia-cli-'));
  return {
    path,
    credentials: join(path, 'alumia', 'credentials.json'),
    run: (args, options = {}) => runCli(args, { ...options, env: { HOME: path, XDG_CONFIG_HOME: path, ...options.env } }),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
