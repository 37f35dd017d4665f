import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Helmet's default headers, computed once: they depend on nothing in the request, and the raw answers the
 * HTTP server writes itself (requests Node cannot parse) need the same list.
 */
function helmetHeaders(): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const res = {
    setHeader: (name: string, value: string | number) => headers.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  helmet()({} as never, res as never, () => undefined);
  return headers;
}

export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = helmetHeaders();

export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
    next();
  };
}
