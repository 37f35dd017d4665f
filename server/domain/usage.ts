import { ApiError } from '../errors.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A usage report covers 30 days unless asked otherwise, and at most 366. */
export const DEFAULT_USAGE_DAYS = 30;
export const MAX_USAGE_DAYS = 366;

/** The report's range `[from, to)`: `to` defaults to now, `from` to 30 days before `to`. */
export function usageWindow(from: string | undefined, to: string | undefined, now: number): { from: Date; to: Date } {
  const end = to === undefined ? new Date(now) : new Date(to);
  const start = from === undefined ? new Date(end.getTime() - DEFAULT_USAGE_DAYS * DAY_MS) : new Date(from);
  if (start.getTime() >= end.getTime()) {
    throw new ApiError('VALIDATION_ERROR', 'from must be before to', [{ path: 'query.from', message: 'must be before to' }]);
  }
  if (end.getTime() - start.getTime() > MAX_USAGE_DAYS * DAY_MS) {
    throw new ApiError('VALIDATION_ERROR', `The range from..to may span at most ${MAX_USAGE_DAYS} days`, [
      { path: 'query.from', message: `must be at most ${MAX_USAGE_DAYS} days before to` },
    ]);
  }
  return { from: start, to: end };
}
