// Exit codes, the errors that pick them, and the one-line report of a failure on stderr.
// Exit codes: 0 ok, 1 API error, 2 usage error, 3 auth error (401, 403, no key), 4 network error,
// 130 interrupted (Ctrl-C during alumia chat, as shells report SIGINT).
import { CommanderError } from 'commander';
import pc from 'picocolors';
import { isAlumiaError, type AlumiaError } from '../errors.js';
import { CredentialsError } from './credentials.js';
import { colorEnabled } from './output.js';

export const EXIT = { ok: 0, api: 1, usage: 2, auth: 3, network: 4, interrupted: 130 } as const;

/** A mistake in how the command was called (exit 2). */
export class UsageError extends Error {}
/** No key to call with (exit 3). */
export class AuthError extends Error {}
/** The user pressed Ctrl-C and the command stopped cleanly (exit 130). */
export class InterruptedError extends Error {}

function exitCodeOf(error: AlumiaError): number {
  if (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN') return EXIT.auth;
  if (error.code === 'NETWORK_ERROR' || error.code === 'TIMEOUT') return EXIT.network;
  return EXIT.api;
}

/** A failure's cause under --debug: its stack when it has one, else the value itself. */
function causeText(cause: unknown): string {
  const stack = (cause as { stack?: unknown } | null | undefined)?.stack;
  if (typeof stack === 'string') return stack;
  // Anything can be thrown as a cause: String() prints it as it is and cannot throw (JSON.stringify can).
  return String(stack ?? cause);
}

/**
 * Says what went wrong on stderr (with the stack only under --debug) and returns the exit code. Reads the
 * raw argv because the failure may have come before commander parsed the options.
 */
export function reportFailure(error: unknown, io: { argv: string[]; env: NodeJS.ProcessEnv; stderr: NodeJS.WriteStream }): number {
  const debug = io.argv.includes('--debug');
  const errColors = pc.createColors(colorEnabled(io.stderr, io.env, !io.argv.includes('--no-color')));
  const fail = (message: string, code: number) => {
    io.stderr.write(`${errColors.red('error:')} ${message}\n`);
    if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    if (debug && error instanceof Error && error.cause) io.stderr.write(`cause: ${causeText(error.cause)}\n`);
    return code;
  };
  if (error instanceof CommanderError) {
    // commander has already written its message (or the help) to stderr.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (isAlumiaError(error)) {
    // Field details the message does not already say, on the same line.
    const extra = error.details.filter((d) => !error.message.includes(d.message));
    const details = extra.length ? ` [${extra.map((d) => `${d.path}: ${d.message}`).join('; ')}]` : '';
    const request = error.requestId ? ` (request ${error.requestId})` : '';
    return fail(`${error.code}: ${error.message}${details}${request}`, exitCodeOf(error));
  }
  if (error instanceof InterruptedError) {
    io.stderr.write(`${error.message}\n`);
    return EXIT.interrupted;
  }
  if (error instanceof UsageError) return fail(error.message, EXIT.usage);
  if (error instanceof AuthError) return fail(error.message, EXIT.auth);
  if (error instanceof CredentialsError) return fail(error.message, EXIT.auth);
  return fail(error instanceof Error ? error.message : String(error), EXIT.api);
}
