import { PasswordStore } from './data/passwords.js';
import type { Database } from './db/database.js';
import { passwordLinkUrl } from './domain/passwords.js';
import { ApiError } from './errors.js';

/**
 * The admin commands about passwords, wired into server/admin.ts:
 *   password-link --email <email> [--base-url <url>] --json   a new one-time link (24 h): { url, expiresAt }
 *   set-password --email <email>                              the password from stdin, one line: { userId, email }
 * A parse failure throws (the admin command's usage error, exit 2); a refused password or an unknown email
 * is an ApiError (exit 1 with its message).
 */
export const PASSWORD_COMMANDS = ['password-link', 'set-password'] as const;
export const PASSWORD_USAGE = `  npm run --silent admin -- password-link --email <email> [--base-url <url>] --json
  printf '%s\\n' "$PASSWORD" | npm run --silent admin -- set-password --email <email>`;

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export type PasswordCommand =
  | { name: 'password-link'; email: string; baseUrl: string | undefined; json: boolean }
  | { name: 'set-password'; email: string; json: true };

export interface PasswordCommandValues {
  email?: string;
  'base-url'?: string;
  json?: boolean;
}

export const isPasswordCommand = (name: string): name is PasswordCommand['name'] => (PASSWORD_COMMANDS as readonly string[]).includes(name);

/** The command, or an Error whose message says what is wrong with the arguments. */
export function parsePasswordCommand(name: string, values: PasswordCommandValues): PasswordCommand {
  if (!isPasswordCommand(name)) throw new Error(`Unknown command ${name}; the password commands are ${PASSWORD_COMMANDS.join(', ')}`);
  if (!values.email || !EMAIL.test(values.email)) throw new Error('--email must be an email address');
  const email = values.email.toLowerCase();
  if (name === 'set-password') {
    if (values['base-url'] !== undefined) throw new Error('--base-url belongs to password-link');
    return { name, email, json: true };
  }
  return {
    name,
    email,
    baseUrl: values['base-url'] === undefined ? undefined : checkedBaseUrl(values['base-url']),
    json: values.json ?? false,
  };
}

function checkedBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('--base-url must be an http or https URL, such as https://alumia.example.com');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('--base-url must be an http or https URL');
  if (url.search || url.hash) throw new Error('--base-url must not have a query or a fragment');
  return url.href.replace(/\/+$/, '');
}

export interface RunOptions {
  /** The server's PORT: the default link base is http://localhost:<port>. */
  port: number;
  /** Where set-password reads the password; process.stdin unless a test passes its own. */
  stdin?: NodeJS.ReadableStream;
}

export async function runPasswordCommand(cmd: PasswordCommand, db: Database, options: RunOptions): Promise<Record<string, unknown>> {
  const passwords = new PasswordStore(db.prisma);
  const user = await passwords.userByEmail(cmd.email);
  if (!user) throw new ApiError('NOT_FOUND', `No user with email ${cmd.email}`);
  if (cmd.name === 'password-link') {
    const link = await passwords.createLink(user.userId);
    const base = cmd.baseUrl ?? `http://localhost:${options.port}`;
    return { url: passwordLinkUrl(base, link.token), expiresAt: link.expiresAt.toISOString() };
  }
  const password = await readPasswordLine(options.stdin ?? process.stdin);
  await passwords.setPassword(user.userId, password);
  return { userId: user.userId, email: user.email };
}

/**
 * One line from the stream, its line ending stripped and nothing else: spaces may be part of a password.
 * More than one line is refused, so a file piped by mistake does not become a password.
 */
export async function readPasswordLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  const lines = text.replace(/\r?\n$/, '').split(/\r?\n/);
  if (lines.length > 1) throw new ApiError('BAD_REQUEST', 'Send the password as one line on stdin, nothing more');
  if (lines[0] === '') throw new ApiError('BAD_REQUEST', 'No password on stdin: send it as one line');
  return lines[0]!;
}
