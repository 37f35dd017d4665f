// Reading paginated lists: every page checked on the way.
import { expect } from 'vitest';
import { expectSuccess } from './envelope.js';
import { API } from './fixtures.js';
import type { Harness, Tenant } from './harness.js';

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
    const page = expectSuccess<PageShape<T>>(await h.http.get(url).set(t.auth));
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

export const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
export const sorted = (values: string[]) => [...values].sort();
