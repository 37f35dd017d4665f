// Helpers for the sessions, agent-activity and dashboard tests: envelope assertions and fixtures built
// through the HTTP API, so every fixture goes through the same rules the tests check.
import { expect } from 'vitest';
import type { Agent, Message, PeerMessage, Session } from '../../generated/sdk/types.gen.js';
import type { Harness, Tenant } from './harness.js';

export const API = '/api/v1';

type Res = { status: number; body: any; headers: Record<string, any> };

export interface ApiErrorBody {
  code: string;
  message: string;
  requestId: string;
  details?: Array<{ path: string; message: string }>;
}

/**
 * Asserts the exact error envelope `{ success: false, error: { code, message, requestId, details? } }`
 * with this status and code, the requestId echoed in X-Request-Id, and returns the error.
 */
export function expectError(res: Res, status: number, code: string): ApiErrorBody {
  const context = `${res.status} ${JSON.stringify(res.body)?.slice(0, 500)}`;
  expect(res.status, context).toBe(status);
  expect(Object.keys(res.body ?? {}).sort(), context).toEqual(['error', 'success']);
  expect(res.body.success, context).toBe(false);
  const error = res.body.error as ApiErrorBody;
  expect(Object.keys(error).filter((k) => !['code', 'message', 'requestId', 'details'].includes(k)), context).toEqual([]);
  expect(error.code, context).toBe(code);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  expect(error.requestId).toBe(res.headers['x-request-id']);
  return error;
}

/** An error whose details name exactly these input paths (in any order, repeats collapsed). */
export function expectInvalid(res: Res, status: 400 | 422, code: 'BAD_REQUEST' | 'VALIDATION_ERROR', paths: string[]): ApiErrorBody {
  const error = expectError(res, status, code);
  expect(error.details, JSON.stringify(error)).toBeDefined();
  expect([...new Set(error.details!.map((d) => d.path))].sort(), JSON.stringify(error)).toEqual([...new Set(paths)].sort());
  return error;
}

/** Asserts `{ success: true, data }` with this status and returns data. */
export function expectOk<T = any>(res: Res, status = 200): T {
  const context = `${res.status} ${JSON.stringify(res.body)?.slice(0, 500)}`;
  expect(res.status, context).toBe(status);
  expect(Object.keys(res.body ?? {}).sort(), context).toEqual(['data', 'success']);
  expect(res.body.success).toBe(true);
  return res.body.data as T;
}

export async function createAgent(h: Harness, t: Tenant, body: Record<string, unknown>): Promise<Agent> {
  return expectOk<Agent>(await h.http.post(`${API}/agents`).set(t.auth).send(body), 201);
}

export async function getAgent(h: Harness, t: Tenant, ref: string): Promise<Agent> {
  return expectOk<Agent>(await h.http.get(`${API}/agents/${ref}`).set(t.auth));
}

export async function deleteAgent(h: Harness, t: Tenant, ref: string): Promise<void> {
  expect(expectOk(await h.http.delete(`${API}/agents/${ref}`).set(t.auth))).toEqual({ deleted: true });
}

export async function createSession(h: Harness, t: Tenant, body: Record<string, unknown>): Promise<Session> {
  return expectOk<Session>(await h.http.post(`${API}/sessions`).set(t.auth).send(body), 201);
}

export async function deleteSession(h: Harness, t: Tenant, id: string): Promise<void> {
  expect(expectOk(await h.http.delete(`${API}/sessions/${id}`).set(t.auth))).toEqual({ deleted: true });
}

export async function postMessage(h: Harness, t: Tenant, sessionId: string, body: Record<string, unknown>): Promise<Message> {
  return expectOk<Message>(await h.http.post(`${API}/sessions/${sessionId}/messages`).set(t.auth).send(body), 201);
}

export async function peerMessages(h: Harness, t: Tenant, ref: string, query = ''): Promise<PeerMessage[]> {
  return expectOk<{ items: PeerMessage[] }>(await h.http.get(`${API}/agents/${ref}/messages${query}`).set(t.auth)).items;
}

export interface PageShape<T> {
  items: T[];
  limit: number;
  nextCursor: string | null;
  hasMore: boolean;
}

/**
 * Reads every page of a paginated list with this page size, checking on the way that each page is full
 * except the last, that hasMore and nextCursor agree, and that the loop ends. Returns the pages.
 */
export async function walkPages<T>(h: Harness, t: Tenant, path: string, limit: number): Promise<Array<PageShape<T>>> {
  const pages: Array<PageShape<T>> = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const sep = path.includes('?') ? '&' : '?';
    const url: string = `${API}${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = expectOk<PageShape<T>>(await h.http.get(url).set(t.auth));
    expect(page.limit).toBe(limit);
    expect(page.hasMore).toBe(page.nextCursor !== null);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    if (page.hasMore) expect(page.items.length).toBe(limit);
    pages.push(page);
    if (!page.hasMore) return pages;
    cursor = page.nextCursor;
  }
  throw new Error(`pagination of ${path} did not end`);
}

/** `{}` is depth 1, `{ a: {} }` depth 2, and so on. */
export function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

export const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
export const sorted = (values: string[]) => [...values].sort();
