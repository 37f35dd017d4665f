import { expect } from 'vitest';
import { ApiError } from '../../server/errors.js';

/** The ApiError `fn` throws, or a failure when it returns or throws anything else. */
export function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError, but the call returned');
}

/** The error as plain data, for one exact `toEqual`. */
export const asData = (err: ApiError) => ({ status: err.status, code: err.code, message: err.message, details: err.details });
