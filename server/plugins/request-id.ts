import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { KEY_LIKE } from '../logger.js';

// Client-supplied ids are echoed and logged, so only a short, plain charset is trusted.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    // An API key sent as the request id (it fits the charset) would be echoed and logged: never trusted.
    const safe = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) && !incoming.match(KEY_LIKE);
    req.id = safe ? incoming : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    next();
  };
}
