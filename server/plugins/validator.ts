import * as OpenApiValidator from 'express-openapi-validator';
import type { RequestHandler } from 'express';
import { contract } from '../contract.js';

/**
 * Requests and (unless turned off) responses are checked against the bundled contract. Security is not
 * the validator's job here: the auth plugin runs first and owns it.
 */
export function validator(options: { validateResponses: boolean }): RequestHandler[] {
  return OpenApiValidator.middleware({
    // The validator mutates the document it is given; hand it its own copy.
    apiSpec: structuredClone(contract) as never,
    validateRequests: { allErrors: true, allowUnknownQueryParameters: false, coerceTypes: false },
    validateResponses: options.validateResponses ? { allErrors: false } : false,
    validateSecurity: false,
    validateFormats: true,
    ignoreUndocumented: false,
  }) as RequestHandler[];
}
