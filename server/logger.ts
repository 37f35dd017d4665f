import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout. Credentials are redacted at the source: the Authorization header never reaches a
 * log line, whatever logs the request.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', '*.apiKey', '*.key'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
