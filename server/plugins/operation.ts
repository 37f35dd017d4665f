import type { RequestHandler } from 'express';
import { API_BASE, findOperation } from '../contract.js';

/** Looks the request up in the contract once, so later plugins can read its scopes, caps and flags. */
export function operation(): RequestHandler {
  return (req, _res, next) => {
    if (req.path.startsWith(API_BASE + '/')) req.operation = findOperation(req.method, req.path);
    next();
  };
}
