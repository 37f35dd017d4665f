// Error codes and messages that mean "the database is not there right now", from pg, PGlite and Prisma.
const UNAVAILABLE_CODES = new Set([
  'P1001',
  'P1002',
  'P1008',
  'P1017',
  'P2024',
  'P2028',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  // A statement that did not finish in time (statement_timeout, lock_timeout): the database did not answer.
  '57014',
  '55P03',
]);
const UNAVAILABLE_KINDS = new Set(['ConnectionClosed', 'DatabaseNotReachable', 'SocketTimeout', 'TooManyConnections']);
const UNAVAILABLE_MESSAGE =
  /connection terminated|server has closed the connection|timeout exceeded when trying to connect|query read timeout|connection (refused|closed)|can't reach database|database system is (starting up|shutting down)|pglite is closed|database is unavailable|canceling statement due to (statement|lock) timeout/i;

/** Whether `err` means the database did not answer (down, unreachable, out of connections, too slow). */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as {
    code?: unknown;
    kind?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
    meta?: { driverAdapterError?: unknown };
  };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  // Prisma's driver adapters replace the driver's code by a kind (ECONNRESET becomes ConnectionClosed).
  if (typeof e.kind === 'string' && UNAVAILABLE_KINDS.has(e.kind)) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  // Prisma keeps the driver's error (with the PostgreSQL code) under meta.driverAdapterError.
  if (isDatabaseUnavailable(e.meta?.driverAdapterError, depth + 1)) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}
