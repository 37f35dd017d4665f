import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Real HTTP for the client, the CLI and the browser: the app on an ephemeral local port, and a proxy that
 * can fail requests on purpose before forwarding them.
 */

export interface Served {
  /** `http://127.0.0.1:<port>`, the server's origin (no `/api/v1`). */
  url: string;
  port: number;
  close(): Promise<void>;
}

async function serve(server: Server): Promise<Served> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves an express app (or any listener) on 127.0.0.1 and an ephemeral port. */
export function listen(app: RequestListener): Promise<Served> {
  return serve(createServer(app));
}

/** A local port that nothing listens on (it was free a moment ago). */
export async function unusedPort(): Promise<number> {
  const s = await listen((_req, res) => res.end());
  await s.close();
  return s.port;
}

/**
 * What the proxy does to the next requests: answer with a status (and `Retry-After` when given), reset the
 * connection, or hang without answering.
 */
export type Fault =
  { kind: 'status'; status: number; retryAfter?: string; headers?: Record<string, string> } | { kind: 'reset' } | { kind: 'hang' };

export interface SeenRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  /** What the proxy did: the fault's kind, or `forwarded`. */
  outcome: Fault['kind'] | 'forwarded';
}

export interface FlakyProxy extends Served {
  /** Every request that reached the proxy, in order. */
  seen: SeenRequest[];
  /** Applies `fault` to the next `count` requests, then forwards again. Clears what was seen. */
  failNext(count: number, fault: Fault): void;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A real node:http proxy in front of `target` (an origin such as `http://127.0.0.1:1234`). */
export async function flakyProxy(target: string): Promise<FlakyProxy> {
  const to = new URL(target);
  let remaining = 0;
  let fault: Fault = { kind: 'reset' };
  const seen: SeenRequest[] = [];
  const hanging = new Set<ServerResponse>();

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const failing = remaining > 0;
    if (failing) remaining--;
    const key = req.headers['idempotency-key'];
    seen.push({
      method: req.method ?? '',
      path: req.url ?? '',
      idempotencyKey: typeof key === 'string' ? key : undefined,
      outcome: failing ? fault.kind : 'forwarded',
    });
    if (failing && fault.kind === 'reset') return req.socket.destroy();
    if (failing && fault.kind === 'hang') return void hanging.add(res);
    if (failing && fault.kind === 'status') {
      const code = fault.status === 429 ? 'TOO_MANY_REQUESTS' : 'SERVICE_UNAVAILABLE';
      res.writeHead(fault.status, {
        'Content-Type': 'application/json; charset=utf-8',
        'X-Request-Id': `proxy-${seen.length}`,
        ...(fault.retryAfter !== undefined ? { 'Retry-After': fault.retryAfter } : {}),
        ...fault.headers,
      });
      return void res.end(
        JSON.stringify({
          success: false,
          error: { code, message: 'Failed on purpose by the test proxy', requestId: `proxy-${seen.length}` },
        }),
      );
    }
    const upstream = httpRequest(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: to.host, 'content-length': String(body.length) },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  };
  // A request whose body cannot be read is dropped, as a broken proxy would.
  const server = createServer((req, res) => void onRequest(req, res).catch(() => req.socket.destroy()));

  const served = await serve(server);
  return {
    ...served,
    seen,
    failNext(count, f) {
      remaining = count;
      fault = f;
      seen.length = 0;
    },
    async close() {
      for (const res of hanging) res.destroy();
      await served.close();
    },
  };
}
