import { Agent, request, type IncomingHttpHeaders } from 'node:http';

/**
 * A plain node:http client for tests that need what supertest hides: bytes exactly as given (invalid
 * UTF-8, duplicate JSON keys), any method, keep-alive connections reused across many requests, and the
 * transport error (ECONNRESET...) when there is one instead of a response.
 */

export interface RawRequest {
  method: string;
  /** Path and query, already encoded as they should go on the wire. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  json: any;
}

export interface HttpClient {
  send(req: RawRequest, timeoutMs?: number): Promise<RawAnswer>;
  close(): void;
}

export function httpClient(port: number, options: { keepAlive?: boolean; maxSockets?: number; host?: string } = {}): HttpClient {
  const agent = new Agent({ keepAlive: options.keepAlive ?? true, maxSockets: options.maxSockets ?? 8 });
  const host = options.host ?? '127.0.0.1';
  return {
    send(req, timeoutMs = 30_000) {
      return new Promise<RawAnswer>((resolve, reject) => {
        const headers: Record<string, string> = { ...(req.headers ?? {}) };
        if (req.body !== undefined && headers['transfer-encoding'] === undefined && headers['content-length'] === undefined) {
          headers['content-length'] = String(Buffer.byteLength(req.body));
        }
        const r = request({ host, port, method: req.method, path: req.path, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        });
        const timer = setTimeout(() => r.destroy(new Error(`no answer within ${timeoutMs} ms: ${req.method} ${req.path}`)), timeoutMs);
        r.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        if (req.body !== undefined) r.write(req.body);
        r.end();
      });
    },
    close() {
      agent.destroy();
    },
  };
}
