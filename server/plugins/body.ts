import express, { type RequestHandler } from 'express';
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
      parser = express.json({ limit, strict: false, type: ['application/json', 'application/*+json'] });
      parsers.set(limit, parser);
    }
    return parser;
  };
  return (req, res, next) => {
    if (options.requireContentLength && req.method === 'POST' && req.headers['content-length'] === undefined) {
      return next(new ApiError('LENGTH_REQUIRED', 'A POST request needs a Content-Length header'));
    }
    parserFor(req.operation?.bodyLimit ?? DEFAULT_BODY_LIMIT)(req, res, next);
  };
}
