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

/** Anything shaped like an API key (the prefix and a run of its hex), in any letter case. */
export const KEY_LIKE = /alm_(live|test)_[0-9a-f]{16,}/gi;

/** `text` with every API-key-shaped run replaced, so a key a client put in a URL or a header never goes further. */
export const redactKeys = (text: string) => text.replace(KEY_LIKE, 'alm_$1_[redacted]');
