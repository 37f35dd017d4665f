import express, { type RequestHandler, type Response } from 'express';
import { DEFAULT_BODY_LIMIT } from '../contract.js';
import { ApiError } from '../errors.js';

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
      parser = express.json({ limit, strict: false, type: JSON_TYPES });
      parsers.set(limit, parser);
    }
    return parser;
  };
  return (req, res, next) => {
    if (options.requireContentLength && req.method === 'POST' && req.headers['content-length'] === undefined) {
      return next(new ApiError('LENGTH_REQUIRED', 'A POST request needs a Content-Length header'));
    }
    const limit = req.operation?.bodyLimit ?? DEFAULT_BODY_LIMIT;
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
      const at = err ? undefined : findNul(req.body, 'body');
      next(at ? new ApiError('BAD_REQUEST', 'Strings may not contain NUL (\\u0000) characters', [{ path: at, message: 'contains a NUL character' }]) : err);
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

/** PostgreSQL text and jsonb cannot hold NUL, so it is refused at the door rather than failing later. */
function findNul(value: unknown, path: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, path]];
  while (stack.length > 0) {
    const [node, at] = stack.pop()!;
    if (typeof node === 'string') {
      if (node.includes('\0')) return at;
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key.includes('\0')) return at;
        stack.push([child, `${at}.${key}`]);
      }
    }
  }
  return undefined;
}
