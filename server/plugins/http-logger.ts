import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import { redactKeys, type Logger } from '../logger.js';

const withRoute = (req: IncomingMessage, _res: ServerResponse, line: object) => ({
  ...line,
  route: (req as IncomingMessage & { operation?: { operationId: string } }).operation?.operationId,
});

/**
 * One JSON line per request: id, method, route, status, duration. No headers, so no credentials; a key
 * sent in the URL by mistake is redacted.
 */
export function httpLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req) => (req as unknown as { id: string }).id,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: {
      req: (req) => ({ id: req.id, method: req.method, url: redactKeys(String(req.url)) }),
      res: (res) => ({ statusCode: res.statusCode }),
    },
    // The route is added to the finished line here: customProps would build two more child loggers per request.
    customSuccessObject: withRoute,
    customErrorObject: withRoute,
    wrapSerializers: false,
  });
}
