// Stored credentials of `alumia login`: $XDG_CONFIG_HOME/alumia/credentials.json (else ~/.config/...),
// written with mode 0600 in a 0700 directory.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

export interface Credentials {
  apiKey: string;
  /** The server the key belongs to, as `alumia login` resolved it (without `/api/v1`). */
  baseUrl: string;
  savedAt: string;
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const configHome = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config');
  return join(configHome, 'alumia', 'credentials.json');
}

export class CredentialsError extends Error {}

/** The stored credentials, or undefined when there are none. A file others can read earns a warning. */
export function readCredentials(path: string, warn: (message: string) => void): Credentials | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CredentialsError(`cannot read ${path}: ${(err as Error).message}; run alumia logout, then alumia login`);
  }
  const { apiKey, baseUrl, savedAt } = (parsed ?? {}) as Partial<Credentials>;
  if (typeof apiKey !== 'string' || typeof baseUrl !== 'string') {
    throw new CredentialsError(`${path} is not an alumia credentials file; run alumia logout, then alumia login`);
  }
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    warn(`${path} is readable by other users; run: chmod 600 ${path}`);
  }
  return { apiKey, baseUrl, savedAt: typeof savedAt === 'string' ? savedAt : '' };
}

export function writeCredentials(path: string, credentials: Credentials): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

/** Removes the file; false when there was none. */
export function removeCredentials(path: string): boolean {
  if (!existsSync(path)) return false;
  rmSync(path);
  return true;
}
