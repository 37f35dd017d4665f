import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, inject } from 'vitest';
import { postgresUnavailable } from './postgres.js';

/** Figures a faults file measured, printed once after its tests (the README quotes them). */
export function faultFigures(): Record<string, string> {
  const figures: Record<string, string> = {};
  afterAll(() => {
    if (Object.keys(figures).length === 0) return;
    const lines = Object.entries(figures).map(([k, v]) => `  ${k}: ${v}`);
    console.log(`faults figures (${inject('postgres') ? 'postgres run' : 'embedded run'}):\n${lines.join('\n')}`);
  });
  return figures;
}

/** Why the PostgreSQL cases of `file` cannot run, warned loudly; undefined when they can. */
export async function postgresCasesSkipped(file: string): Promise<string | undefined> {
  const reason = await postgresUnavailable();
  if (reason) {
    const bar = '!'.repeat(100);
    console.warn(
      `\n${bar}\n!! ${file}: the PostgreSQL cases are SKIPPED: ${reason}.\n!! Start PostgreSQL on 127.0.0.1:5432 or set DATABASE_URL to run them.\n${bar}\n`,
    );
  }
  return reason;
}

/** Polls until `f` resolves true, returning how long it took; fails after `ms`. */
export async function until(ms: number, f: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    try {
      if (await f()) return performance.now() - start;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`not within ${ms} ms`);
}
