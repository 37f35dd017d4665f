// Parsers of option values (commander turns their InvalidArgumentError into a usage error, exit 2), the
// --limit/--cursor pair of list commands, and the "Example:" block of every help text.
import { InvalidArgumentError, type Command } from 'commander';

export function positiveInt(max?: number) {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || (max !== undefined && n > max)) {
      throw new InvalidArgumentError(max ? `expected a whole number from 1 to ${max}` : 'expected a whole number of at least 1');
    }
    return n;
  };
}

export function csv(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('expected a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object');
  return parsed as Record<string, unknown>;
}

export function bool(value: string): boolean {
  if (/^(true|yes|1|on)$/i.test(value)) return true;
  if (/^(false|no|0|off)$/i.test(value)) return false;
  throw new InvalidArgumentError('expected true or false');
}

/** `''` clears a nullable text field. */
export const nullable = (value: string | undefined) => (value === undefined ? undefined : value === '' ? null : value);

export function listOptions(cmd: Command): Command {
  return cmd
    .option('--limit <n>', 'show at most n items (default: all, following pages)', positiveInt())
    .option('--cursor <cursor>', 'start after this cursor (printed when --limit cut the list short)');
}

export function example(...lines: string[]) {
  return `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
