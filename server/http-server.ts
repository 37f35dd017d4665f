import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Express } from 'express';

export interface HttpServer {
  server: Server;
  /** From now on, responses not yet started close their connection instead of keeping it alive. */
  closeConnectionsAfterResponse(): void;
}

/**
 * The HTTP server around the app. Requests Node cannot even parse (a bad header, say) never reach express:
 * they still get the JSON envelope, not Node's bare 400.
 */
export function createHttpServer(app: Express, options: { keepAliveTimeoutMs: number }): HttpServer {
  let closing = false;
  // Responses not yet started when shutdown begins close their connection, so a keep-alive client does
  // not hold the server open until its idle timeout.
  const unanswered = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    unanswered.add(res);
    res.on('close', () => unanswered.delete(res));
    if (closing) res.setHeader('Connection', 'close');
    app(req, res);
  });
  // Node closes idle keep-alive connections after 5 s. A client (or a load balancer, which keeps them for
  // 60 s) that sends on one just as it closes gets a reset it cannot safely retry for a POST; the idle
  // timeout has to be the longer of the two. Headers must be allowed at least as long.
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.headersTimeout = options.keepAliveTimeoutMs + 1_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    const requestId = randomUUID();
    const body = JSON.stringify({
      success: false,
      error: { code: 'BAD_REQUEST', message: `The request is not valid HTTP (${err.code ?? 'parse error'})`, requestId },
    });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return {
    server,
    closeConnectionsAfterResponse() {
      closing = true;
      for (const res of unanswered) if (!res.headersSent) res.setHeader('Connection', 'close');
    },
  };
}
