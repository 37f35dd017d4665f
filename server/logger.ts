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

/**
 * The path segment of a URL whose token is the credential (a trigger URL, a share link; not a trigger's own
 * id under its agent, a UUID), and anything shaped like a trigger token.
 */
const TOKEN_PATH = /\/(triggers|share)\/(?!\[redacted\])(?![0-9a-f]{8}-[0-9a-f]{4}-)[^/?#]+/gi;
const TRIGGER_TOKEN_LIKE = /trg_[A-Za-z0-9_-]{8,}/g;

const redactRaw = (text: string) =>
  text.replace(KEY_LIKE, 'alm_$1_[redacted]').replace(TOKEN_PATH, '/$1/[redacted]').replace(TRIGGER_TOKEN_LIKE, 'trg_[redacted]');
const HAS_KEY = new RegExp(`${KEY_LIKE.source}|/triggers/|/share/|trg_`, 'i');
const ASCII_ESCAPE = /%([0-7][0-9a-f])/gi;

/**
 * `text` with every API-key-shaped run replaced, so a key a client put in a URL or a header never goes
 * further. A key hidden behind percent-encoding (`alm%5Ftest%5F...`, once or several times over) is found
 * by decoding the ASCII escapes, which a stray invalid escape elsewhere cannot stop; the decoded, redacted
 * form is then returned.
 */
export function redactKeys(text: string): string {
  let current = text;
  for (let i = 0; i < 4 && current.includes('%'); i++) {
    const decoded = current.replace(ASCII_ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (decoded === current) break;
    current = decoded;
    if (HAS_KEY.test(current)) return redactRaw(current);
  }
  return redactRaw(text);
}

/** Request text (a path, a method, a value) fit to echo in a message: redacted and at most `max` characters. */
export function quote(text: string, max = 100): string {
  const safe = redactKeys(text);
  return safe.length <= max ? safe : `${safe.slice(0, max)}…`;
}
