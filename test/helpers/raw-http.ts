import { createServer, request, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import { createConnection, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

/**
 * Plain node:http, for what supertest cannot express: a body without Content-Length (chunked), a body that
 * streams on while the answer comes back, or a lie in Content-Length.
 */

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** Bytes of request body handed to the socket before the response arrived. */
  sent: number;
  /** Whether the whole request body had been written when the response arrived. */
  bodyFinished: boolean;
}

/** Serves `app` on an ephemeral local port. */
export async function listen(app: RequestListener): Promise<{ port: number; server: Server; close: () => Promise<void> }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Sends `total` bytes of body in `chunkSize` pieces, produced lazily and written only as fast as the
 * socket takes them (so a server that stops reading stops us too). Stops writing as soon as a response
 * arrives. `headers` decide the framing: without content-length node sends the body chunked.
 */
export function sendStreaming(options: {
  port: number;
  method?: string;
  path: string;
  headers: Record<string, string>;
  total: number;
  chunkSize?: number;
  fill?: string;
}): Promise<RawResponse> {
  const { port, path, headers, total } = options;
  const chunkSize = options.chunkSize ?? 64 * 1024;
  const piece = Buffer.alloc(chunkSize, options.fill ?? ' ');
  let sent = 0;
  let bodyFinished = false;
  const source = Readable.from(
    (function* () {
      while (sent < total) {
        const n = Math.min(chunkSize, total - sent);
        sent += n;
        yield n === chunkSize ? piece : piece.subarray(0, n);
      }
    })(),
    { objectMode: false, highWaterMark: chunkSize },
  );
  return new Promise<RawResponse>((resolve, reject) => {
    let answered = false;
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'POST', path, headers, agent: false });
    req.on('finish', () => {
      bodyFinished = true;
    });
    req.on('response', (res) => {
      answered = true;
      const sentAtResponse = sent;
      const finishedAtResponse = bodyFinished;
      source.unpipe(req);
      source.destroy();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = () => {
        req.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON; keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, sent: sentAtResponse, bodyFinished: finishedAtResponse });
      };
      res.on('end', done);
      res.on('error', done);
      res.on('aborted', done);
    });
    // A server that answers early may reset the connection under our remaining writes; only an error
    // before any answer is a failure.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    source.pipe(req);
  });
}

/** One request with a body given as a few explicit chunks, so no Content-Length unless `headers` set one. */
export function sendChunks(options: {
  port: number;
  method?: string;
  path: string;
  headers: Record<string, string>;
  chunks: Array<string | Buffer>;
}): Promise<RawResponse> {
  const total = options.chunks.reduce((n, c) => n + Buffer.byteLength(c), 0);
  return new Promise<RawResponse>((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: options.port,
      method: options.method ?? 'POST',
      path: options.path,
      headers: options.headers,
      agent: false,
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, sent: total, bodyFinished: true });
      });
    });
    req.on('error', reject);
    for (const c of options.chunks) req.write(c);
    req.end();
  });
}

export interface SocketAnswer {
  status: number;
  /** Header names lowercased; the last value of a repeated header wins. */
  headers: Record<string, string>;
  text: string;
  body: unknown;
}

/**
 * Writes `request` byte for byte on a fresh socket (so the request target, the method and the headers are
 * exactly what a hostile client sends, with nothing normalized) and reads one answer. `Connection: close`
 * is the caller's to send.
 */
export function sendRaw(port: number, request: string | Buffer, timeoutMs = 10_000): Promise<SocketAnswer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => (chunks.length > 0 ? undefined : reject(err)));
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const split = raw.indexOf('\r\n\r\n');
      const head = split < 0 ? raw : raw.slice(0, split);
      const text = split < 0 ? '' : raw.slice(split + 4);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON; keep the text
      }
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, text, body });
    });
    socket.write(request);
  });
}

/** Fails the test instead of hanging when `p` does not settle within `ms`. */
export async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
