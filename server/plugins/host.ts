import type { RequestHandler } from 'express';
import { ApiError } from '../errors.js';

/**
 * HTTP/1.1 requires a Host header (RFC 9112 §3.2). Node's own check answers with a bare 400 outside the
 * envelope, so the server turns it off (`requireHostHeader: false`) and refuses here instead.
 */
export function requireHost(): RequestHandler {
  return (req, _res, next) => {
    if (req.httpVersion === '1.1' && !req.headers.host) throw new ApiError('BAD_REQUEST', 'An HTTP/1.1 request needs a Host header');
    next();
  };
}
