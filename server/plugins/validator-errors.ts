import { ApiError, type ErrorDetail } from '../errors.js';
import { quote } from '../logger.js';

// A well-typed value out of range is 422; anything about the shape of the input is 400.
const OUT_OF_RANGE = new Set([
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'uniqueItems',
  'pattern',
  'format',
  'enum',
  'const',
  'multipleOf',
  'minProperties',
  'maxProperties',
]);
// Combinators only echo their branches' errors; the branches decide.
const COMBINATORS = new Set(['oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else']);

interface ValidatorError {
  status: number;
  message: string;
  errors?: Array<{ path: string; message: string; errorCode?: string }>;
}

export const isValidatorError = (err: unknown): err is ValidatorError =>
  typeof err === 'object' && err !== null && 'status' in err && Array.isArray((err as ValidatorError).errors);

/** `/body/name` or `.params.id` -> `body.name`, `path.id`. */
function fieldPath(raw: string): string {
  const parts = raw.split(/[/.]/).filter(Boolean);
  if (parts[0] === 'params') parts[0] = 'path';
  return parts.join('.');
}

/** A validator refusal as the API's error: shape problems 400, out-of-range values 422, unknown routes 404. */
export function fromValidator(err: ValidatorError, method: string, url: string): ApiError {
  const items = err.errors ?? [];
  switch (err.status) {
    case 404:
      return new ApiError('NOT_FOUND', `No route ${quote(method, 16)} ${quote(url.split('?')[0]!)}`);
    case 405:
      return new ApiError('NOT_FOUND', `${quote(url.split('?')[0]!)} does not support ${quote(method, 16)}`);
    case 415:
      return new ApiError('BAD_REQUEST', 'The body must be JSON, sent with Content-Type: application/json', [
        { path: 'header.content-type', message: 'must be application/json' },
      ]);
  }
  if (err.status >= 500) return new ApiError('INTERNAL_ERROR', err.message);
  const details: ErrorDetail[] = items.map((e) =>
    // The validator reports a missing body as a missing property named "body".
    /required property 'body'/.test(e.message)
      ? { path: 'body', message: 'is required: send a JSON object' }
      : { path: fieldPath(e.path), message: e.message },
  );
  const keywords = items.map((e) => e.errorCode?.split('.')[0] ?? '').filter((k) => !COMBINATORS.has(k));
  const code = keywords.length > 0 && keywords.every((k) => OUT_OF_RANGE.has(k)) ? 'VALIDATION_ERROR' : 'BAD_REQUEST';
  const summary = details.map((d) => `${d.path} ${d.message}`).join('; ') || err.message;
  return new ApiError(code, summary, details);
}
