import { expect } from 'vitest';
import type { Harness, Tenant } from './harness.js';

/** Asserts the error envelope and returns its error object. */
export function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.body).toMatchObject({ success: false, error: { code, message: expect.any(String), requestId: expect.any(String) } });
  return res.body.error as { code: string; message: string; requestId: string; details?: Array<{ path: string; message: string }> };
}

/** Creates an agent through the API and returns its record. */
export async function createAgent(h: Harness, t: Tenant, body: Record<string, unknown>) {
  const res = await h.http.post('/api/v1/agents').set(t.auth).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data as Record<string, any>;
}
