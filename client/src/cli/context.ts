// What every command runs with: the process's streams, the global options, and from them the colours,
// the server, the key and the API client.
import type { Command } from 'commander';
import pc from 'picocolors';
import { apiBaseUrl, createClient, DEFAULT_BASE_URL, type AlumiaClient } from '../client.js';
import { credentialsPath, readCredentials } from './credentials.js';
import { AuthError, UsageError } from './exit.js';
import { colorEnabled, type Colors } from './output.js';

export interface Io {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export interface GlobalOptions {
  json?: boolean;
  baseUrl?: string;
  apiKey?: string;
  debug?: boolean;
  color: boolean;
}

/** What a command needs: output with the right colours, and a client when it calls the API. */
export class Context {
  readonly c: Colors;
  readonly ce: Colors;
  constructor(
    readonly io: Io,
    readonly opts: GlobalOptions,
  ) {
    this.c = pc.createColors(colorEnabled(io.stdout, io.env, opts.color));
    this.ce = pc.createColors(colorEnabled(io.stderr, io.env, opts.color));
  }

  get json(): boolean {
    return this.opts.json === true;
  }

  out(text: string) {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  hint(text: string) {
    this.io.stderr.write(`${this.ce.dim(text)}\n`);
  }

  warn(text: string) {
    this.io.stderr.write(`${this.ce.yellow('warning:')} ${text}\n`);
  }

  /** `--json`: exactly the data payload. Otherwise the human rendering. */
  print(data: unknown, human: () => string) {
    this.out(this.json ? JSON.stringify(data, null, 2) : human());
  }

  get credentialsFile() {
    return credentialsPath(this.io.env);
  }

  /** `--base-url`, else ALUMIA_BASE_URL, else the stored one, else http://localhost:3000. */
  baseUrl(): string {
    const given = this.opts.baseUrl?.trim() || this.io.env.ALUMIA_BASE_URL?.trim() || this.stored()?.baseUrl || DEFAULT_BASE_URL;
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new UsageError(`invalid base URL ${JSON.stringify(given)}: expected something like http://localhost:3000`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UsageError(`invalid base URL ${JSON.stringify(given)}: use http:// or https://`);
    return normalizeBase(given);
  }

  /**
   * `--api-key`, else ALUMIA_API_KEY, else the stored key. The stored key is only sent to the server it was
   * stored for, so `--base-url` pointing elsewhere never leaks it.
   */
  apiKey(baseUrl: string): string {
    const key = this.opts.apiKey?.trim() || this.io.env.ALUMIA_API_KEY?.trim();
    if (key) return key;
    const stored = this.stored();
    if (stored && normalizeBase(stored.baseUrl) === baseUrl) return stored.apiKey;
    if (stored)
      throw new AuthError(
        `no API key for ${baseUrl} (you are logged in to ${stored.baseUrl}): pass --api-key, set ALUMIA_API_KEY or run alumia login --base-url ${baseUrl}`,
      );
    throw new AuthError('no API key: run alumia login, pass --api-key or set ALUMIA_API_KEY');
  }

  client(apiKey?: string): AlumiaClient {
    const baseUrl = this.baseUrl();
    return createClient({ apiKey: apiKey ?? this.apiKey(baseUrl), baseUrl });
  }

  #stored: ReturnType<typeof readCredentials> | null = null;
  stored() {
    if (this.#stored === null) this.#stored = readCredentials(this.credentialsFile, (m) => this.warn(m));
    return this.#stored;
  }
}

/** The context of the command being run: its options merged with the program's global ones. */
export function contextOf(io: Io, cmd: Command): Context {
  return new Context(io, cmd.optsWithGlobals<GlobalOptions>());
}

function normalizeBase(url: string): string {
  return apiBaseUrl(url).slice(0, -'/api/v1'.length);
}
