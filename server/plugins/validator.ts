import * as OpenApiValidator from 'express-openapi-validator';
import type { RequestHandler } from 'express';
import { contract } from '../contract.js';
import { ApiError } from '../errors.js';

/**
 * Requests and (unless turned off) responses are checked against the bundled contract. Security is not
 * the validator's job here: the auth plugin runs first and owns it.
 */
export function validator(options: { validateResponses: boolean }): RequestHandler[] {
  const middleware = OpenApiValidator.middleware({
    // The validator mutates the document it is given; hand it its own copy.
    apiSpec: structuredClone(contract) as never,
    // Checking the document against the OpenAPI meta-schema took ~0.4 s of every start; the contract is
    // linted and bundled by Redocly before it ships (npm run contract), so it is valid by construction.
    validateApiSpec: false,
    validateRequests: { allErrors: true, allowUnknownQueryParameters: false, coerceTypes: false },
    validateResponses: options.validateResponses ? { allErrors: false } : false,
    validateSecurity: false,
    validateFormats: true,
    // 'fast' only checks the shape, so 2030-02-30 passed (and became March 2) and 2030-13-01 reached the
    // database as an invalid date (500). 'full' checks the calendar too.
    ajvFormats: { mode: 'full' },
    ignoreUndocumented: false,
  }) as RequestHandler[];
  return [...middleware, finiteQuery];
}

/**
 * Query strings are coerced to the parameter's type, and ajv coerces `Infinity` or `1e999` to an infinite
 * number that then passes `type: integer` and `maximum`. No parameter of the contract takes one.
 */
const finiteQuery: RequestHandler = (req, _res, next) => {
  for (const [name, value] of Object.entries(req.query ?? {})) {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new ApiError('BAD_REQUEST', `query.${name} must be integer`, [{ path: `query.${name}`, message: 'must be integer' }]);
    }
  }
  next();
};
