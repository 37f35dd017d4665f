import { expect } from 'vitest';
import type { ErrorCode } from '../../generated/sdk/types.gen.js';

/** What supertest and our own node:http helper both give back. */
export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** ISO 8601 UTC with milliseconds and Z, as every timestamp leaves the API. */
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The status each error code must come with, written out here rather than imported from the server so
 * that a wrong entry in server/errors.ts fails the tests.
 */
export const STATUS_OF_CODE: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  PAYMENT_REQUIRED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  REQUEST_TIMEOUT: 408,
  LENGTH_REQUIRED: 411,
  PAYLOAD_TOO_LARGE: 413,
  VALIDATION_ERROR: 422,
  TOO_MANY_REQUESTS: 429,
  REQUEST_HEADERS_TOO_LARGE: 431,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};

export interface ErrorBody {
  success: false;
  error: { code: ErrorCode; message: string; requestId: string; details?: Array<{ path: string; message: string }> };
}

/**
 * Asserts the exact error envelope: the status that belongs to `code`, JSON, only the documented keys,
 * a non-empty message, and a requestId equal to the X-Request-Id header. Returns the error object.
 */
export function expectError(res: HttpResult, code: ErrorCode): ErrorBody['error'] {
  const context = `${res.status} ${JSON.stringify(res.body)}`;
  expect(res.status, context).toBe(STATUS_OF_CODE[code]);
  expect(String(res.headers['content-type']), context).toMatch(/^application\/json/);
  const body = res.body as ErrorBody;
  expect(Object.keys(body).sort(), context).toEqual(['error', 'success']);
  expect(body.success).toBe(false);
  const allowed = ['code', 'details', 'message', 'requestId'];
  expect(
    Object.keys(body.error).filter((k) => !allowed.includes(k)),
    context,
  ).toEqual([]);
  expect(body.error.code, context).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(typeof body.error.requestId).toBe('string');
  expect(body.error.requestId).toBe(res.headers['x-request-id']);
  if (body.error.details !== undefined) {
    expect(body.error.details.length).toBeGreaterThan(0);
    for (const d of body.error.details) expect(Object.keys(d).sort()).toEqual(['message', 'path']);
  }
  return body.error;
}

/** Asserts a 400/422 whose details name exactly these fields (in any order). */
export function expectInvalid(res: HttpResult, code: 'BAD_REQUEST' | 'VALIDATION_ERROR', paths: string[]) {
  const error = expectError(res, code);
  expect(error.details, JSON.stringify(error)).toBeDefined();
  expect(error.details!.map((d) => d.path).sort()).toEqual([...paths].sort());
  return error;
}

/** Asserts the success envelope `{ success: true, data }` and returns `data`. */
export function expectSuccess<T = any>(res: HttpResult, status = 200): T {
  const context = `${res.status} ${JSON.stringify(res.body)}`;
  expect(res.status, context).toBe(status);
  expect(String(res.headers['content-type']), context).toMatch(/^application\/json/);
  const body = res.body as { success: true; data: T };
  expect(Object.keys(body).sort(), context).toEqual(['data', 'success']);
  expect(body.success).toBe(true);
  expect(res.headers['x-request-id']).toEqual(expect.any(String));
  return body.data;
}
