import { isUtf8 } from 'node:buffer';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { unstorable } from '../domain/json-input.js';
import { ApiError } from '../errors.js';
import { operationOf } from './operation.js';

/**
 * Enforces the route's body cap before any JSON is parsed: a Content-Length over the cap is refused
 * without reading, and a chunked body is cut off as soon as it streams past the cap.
 */
export function body(options: { requireContentLength: boolean }): RequestHandler {
  const parsers = new Map<number, RequestHandler>();
  const parserFor = (limit: number) => {
    let parser = parsers.get(limit);
    if (!parser) {
      // `type` accepts any JSON media type; the validator rejects bodies that are not JSON at all.
      parser = express.json({ limit, strict: false, type: JSON_TYPES, verify: requireUtf8 });
      parsers.set(limit, parser);
    }
    return parser;
  };
  return (req, res, next) => {
    if (options.requireContentLength && req.method === 'POST' && req.headers['content-length'] === undefined) {
      return next(new ApiError('LENGTH_REQUIRED', 'A POST request needs a Content-Length header'));
    }
    const limit = operationOf(req).bodyLimit;
    if (Number(req.headers['content-length']) > limit) return next(tooLarge(res, limit));
    // Without a JSON body the parser reads nothing, so there is nothing to count.
    if (!req.is(JSON_TYPES)) return parserFor(limit)(req, res, next);
    // body-parser reads the whole body off the wire before it reports any error, a 413 included, so a
    // client streaming without end would never get an answer. Count the bytes here and answer as soon
    // as they pass the cap; body-parser's own limit still bounds a body after decompression.
    let settled = false;
    let received = 0;
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        req.pause();
        settle(tooLarge(res, limit));
      }
    };
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      next(err ?? unstorable(req.body));
    };
    req.on('data', count);
    parserFor(limit)(req, res, settle);
  };
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/** Answers 413 and closes the connection afterwards instead of reading the rest of the body. */
function tooLarge(res: Response, limit: number): ApiError {
  res.setHeader('Connection', 'close');
  return new ApiError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes`);
}

// The bytes a JSON body was parsed from, for an operation that must check them as sent (a signed trigger).
const rawBodies = new WeakMap<Request, Buffer>();
export const rawBodyOf = (req: Request): Buffer | undefined => rawBodies.get(req);

/**
 * A body that decodes as UTF-8 must be UTF-8: the decoder would otherwise turn bad bytes into U+FFFD and
 * store something the client never sent.
 */
function requireUtf8(req: Request, _res: unknown, buf: Buffer, encoding: string | null) {
  rawBodies.set(req, buf);
  if ((encoding === null || /^utf-?8$/i.test(encoding)) && !isUtf8(buf)) {
    throw Object.assign(new Error('The body is not valid UTF-8'), { type: 'entity.verify.failed' });
  }
}

/**
 * Errors raised while reading the body (express.json, raw-body, http-errors) as the API's error, or
 * undefined when `err` is none of them. Any client error met while reading the request (a gzip body that
 * does not inflate, say) is the client's fault, not a 500.
 */
export function fromBodyParser(err: unknown): ApiError | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & { type?: string; limit?: number; expose?: unknown; status?: unknown };
  switch (e.type) {
    case 'entity.too.large':
      return new ApiError('PAYLOAD_TOO_LARGE', `The request body is larger than ${e.limit} bytes`);
    case 'entity.parse.failed':
      return new ApiError('BAD_REQUEST', `The body is not valid JSON: ${e.message}`, [{ path: 'body', message: 'is not valid JSON' }]);
    case 'entity.verify.failed':
      return new ApiError('BAD_REQUEST', e.message, [{ path: 'body', message: 'is not valid UTF-8' }]);
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'request.size.invalid':
      return new ApiError('BAD_REQUEST', e.message);
  }
  // http-errors marks what is safe to show with `expose`.
  if (e.expose !== true || typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return undefined;
  return e.status === 413
    ? new ApiError('PAYLOAD_TOO_LARGE', e.message)
    : new ApiError('BAD_REQUEST', `The request could not be read: ${e.message}`);
}
