// The small basics every bench module uses: where the project is, logging to stderr, sleeping, rounding and
// quantiles. The rest lives by concern: processes.ts (child processes), machine.ts (/proc readings, machine
// facts), build.ts (building and snapshotting dist), postgres.ts (database administration, shared with the
// tests), setup.ts (seeded databases and started servers), load.ts (scenarios, autocannon), report.ts.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const log = (...parts: unknown[]) => process.stderr.write(parts.join(' ') + '\n');

export function quantile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx]!;
}

export const round = (n: number, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);
