import type { Request, RequestHandler } from 'express';
import { findOperation, type OperationInfo } from '../contract.js';
import { ApiError } from '../errors.js';
import { quote } from '../logger.js';

/**
 * Places every request in the contract before anything else can act on it: a request that addresses no
 * operation is a 404 here, so auth, limits and handlers only ever see requests they know. HEAD is the GET
 * of its path without the body (Node drops the body of a HEAD response on its own).
 */
export function operation(): RequestHandler {
  return (req, _res, next) => {
    const found = findOperation(req.method, req.path);
    if (!found) throw new ApiError('NOT_FOUND', `No route ${quote(req.method, 16)} ${quote(req.path)}`);
    if (req.method === 'HEAD') req.method = 'GET';
    req.operation = found.info;
    req.operationParams = found.params;
    next();
  };
}

/**
 * The operation of a request past this plugin. Every later step reads it through here, so none needs a
 * fallback for an unplaced request: reaching one without an operation is refused, never run.
 */
export function operationOf(req: Request): OperationInfo {
  if (!req.operation) throw new ApiError('NOT_FOUND', 'No route');
  return req.operation;
}
