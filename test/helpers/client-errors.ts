import { expect } from 'vitest';
import { AlumiaError } from '../../client/src/index.js';

/** Runs `fn` and returns what it threw (failing when it did not throw). */
export async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

export async function alumiaError(fn: () => Promise<unknown>): Promise<AlumiaError> {
  const error = await thrown(fn);
  expect(error).toBeInstanceOf(AlumiaError);
  return error as AlumiaError;
}
