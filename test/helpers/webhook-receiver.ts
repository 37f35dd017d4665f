import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * A real webhook receiver: a node:http server that checks every request with the standardwebhooks package
 * itself (sharing no code with the sender), records it, and answers as told: 200, any status, 429 with a
 * Retry-After, a hang, or a reset connection.
 */

export type Behaviour =
  { kind: 'status'; status: number; body?: string; headers?: Record<string, string> } | { kind: 'hang' } | { kind: 'reset' };

export interface Received {
  id: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
  /** The indexes (into the receiver's secrets) of the secrets it verified with; empty: none did. */
  verifiedBy: number[];
  /** When the request arrived (ms since epoch). */
  at: number;
  /** When the answer went out (ms since epoch); undefined for hang/reset. */
  answeredAt?: number;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Requests currently being answered, by webhook-id: a second one with the same id while one is open is an overlap. */
  overlaps: string[];
  /** The answer to the next requests (until changed). */
  answer(b: Behaviour): void;
  /** Answers the next `n` requests with `b`, then goes back to the standing answer. */
  answerNext(n: number, b: Behaviour): void;
  /** Waits until `test` holds over what was received. */
  waitFor(test: (r: Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** Verifies with each secret alone; a request signed by several verifies with each of them. */
function verifiers(secrets: string[], body: string, headers: http.IncomingHttpHeaders): number[] {
  const h = {
    'webhook-id': String(headers['webhook-id']),
    'webhook-timestamp': String(headers['webhook-timestamp']),
    'webhook-signature': String(headers['webhook-signature']),
  };
  return secrets.flatMap((s, i) => {
    try {
      new Webhook(s).verify(body, h);
      return [i];
    } catch {
      return [];
    }
  });
}

export async function startReceiver(secrets: string[], options: { port?: number; delayMs?: number } = {}): Promise<Receiver> {
  const received: Received[] = [];
  const open = new Map<string, number>();
  const overlaps: string[] = [];
  let standing: Behaviour = { kind: 'status', status: 200, body: 'ok' };
  const once: Behaviour[] = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id']);
      if ((open.get(id) ?? 0) > 0) overlaps.push(id);
      open.set(id, (open.get(id) ?? 0) + 1);
      const entry: Received = {
        id,
        headers: req.headers,
        body,
        json: JSON.parse(body) as Received['json'],
        verifiedBy: verifiers(secrets, body, req.headers),
        at: Date.now(),
      };
      const behaviour = once.shift() ?? standing;
      const finish = () => {
        open.set(id, open.get(id)! - 1);
        received.push(entry);
        waiters.forEach((w) => w());
      };
      if (behaviour.kind === 'hang') {
        finish();
        return;
      }
      if (behaviour.kind === 'reset') {
        finish();
        req.socket.destroy();
        return;
      }
      const reply = () => {
        res.writeHead(behaviour.status, { 'content-type': 'text/plain', ...behaviour.headers });
        res.end(behaviour.body ?? '', () => {
          entry.answeredAt = Date.now();
          finish();
        });
      };
      if (options.delayMs) setTimeout(reply, options.delayMs);
      else reply();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    overlaps,
    answer: (b) => (standing = b),
    answerNext: (n, b) => once.push(...Array.from({ length: n }, () => b)),
    waitFor: (test, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!test(received)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(received);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `receiver: condition not met in ${timeoutMs} ms; received ${received.length}: ${received.map((r) => r.id).join(', ')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
