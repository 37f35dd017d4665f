import { randomUUID } from 'node:crypto';
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import type { Config } from './config.js';
import { ApiError, errorEnvelope, statusOf, type ErrorCode } from './errors.js';
import { quote } from './logger.js';
import { SECURITY_HEADERS } from './plugins/security-headers.js';

export interface HttpServer {
  server: Server;
  /** From now on, responses not yet started close their connection instead of keeping it alive. */
  closeConnectionsAfterResponse(): void;
}

/** The transport settings of the server's config (see config.ts for each). */
export type HttpServerOptions = Pick<Config, 'keepAliveTimeoutMs' | 'requestTimeoutMs' | 'maxConnections'>;

/** What Node's parser and timers report before the app sees a request, as the envelope's code and message. */
const CLIENT_ERRORS: Record<string, [ErrorCode, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: ['REQUEST_TIMEOUT', 'The request was not received in time'],
  HPE_HEADER_OVERFLOW: ['REQUEST_HEADERS_TOO_LARGE', 'The request headers are too large'],
};

/** The envelope written straight to the socket, with the headers every answer carries. */
function rawAnswer(code: ErrorCode, message: string): string {
  const requestId = randomUUID();
  const status = statusOf[code];
  const body = errorEnvelope(new ApiError(code, message), requestId);
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    ...SECURITY_HEADERS.map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * The HTTP server around the app. Requests Node cannot parse (a bad header, say), or that do not arrive
 * in time, never reach express: they still get the JSON envelope and the security headers, not Node's
 * bare answer.
 */
export function createHttpServer(app: Express, options: HttpServerOptions): HttpServer {
  let closing = false;
  // Responses not yet started when shutdown begins close their connection, so a keep-alive client does
  // not hold the server open until its idle timeout.
  const unanswered = new Set<ServerResponse>();
  const server = createServer(
    {
      // A trickled or unfinished request holds its connection no longer than this; idle keep-alive
      // connections between requests are not affected (keepAliveTimeout governs those).
      requestTimeout: options.requestTimeoutMs,
      headersTimeout: Math.min(options.keepAliveTimeoutMs + 1_000, options.requestTimeoutMs),
      // Node looks for expired requests this often (30 s by default, which would add up to 30 s to both).
      connectionsCheckingInterval: 1_000,
      // Node's own Host check answers outside the envelope; the app refuses instead (plugins/host.ts).
      requireHostHeader: false,
    },
    (req, res) => {
      unanswered.add(res);
      res.on('close', () => unanswered.delete(res));
      if (closing) res.setHeader('Connection', 'close');
      app(req, res);
    },
  );
  // Node closes idle keep-alive connections after 5 s. A client (or a load balancer, which keeps them for
  // 60 s) that sends on one just as it closes gets a reset it cannot safely retry for a POST; the idle
  // timeout has to be the longer of the two.
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.maxConnections = options.maxConnections;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket & { _httpMessage?: ServerResponse }) => {
    // Nothing can be said on a dead socket, or after the app already started its answer.
    if (err.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) return socket.destroy();
    const [code, message] = CLIENT_ERRORS[err.code ?? ''] ?? [
      'BAD_REQUEST',
      `The request is not valid HTTP (${err.code ?? 'parse error'})`,
    ];
    socket.end(rawAnswer(code, message));
  });
  // Node hands CONNECT and Upgrade requests to these events and, with no listener, drops the socket
  // without a word; this API tunnels and upgrades nothing, so they get a 404 like any unknown route.
  const refuse = (req: IncomingMessage, socket: Duplex) => {
    if (socket.writable) socket.end(rawAnswer('NOT_FOUND', `No route ${quote(req.method ?? '', 16)} ${quote(req.url ?? '')}`));
    else socket.destroy();
  };
  server.on('connect', refuse);
  server.on('upgrade', refuse);
  return {
    server,
    closeConnectionsAfterResponse() {
      closing = true;
      for (const res of unanswered) if (!res.headersSent) res.setHeader('Connection', 'close');
    },
  };
}
