// The list commands: follow pages up to --limit, print them, and say how to continue when cut short.
import type { Page, PageParams } from '../client.js';
import type { Context } from './context.js';

/** Reads whole pages until `limit` items (or the end); returns the cursor to continue from. */
async function collect<T>(fetchPage: (p: PageParams) => Promise<Page<T>>, options: { limit?: number; cursor?: string }) {
  const items: T[] = [];
  let cursor = options.cursor;
  for (;;) {
    const size = options.limit === undefined ? 100 : Math.min(100, options.limit - items.length);
    const page = await fetchPage({ limit: size, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    if (!page.hasMore || !page.nextCursor) return { items, nextCursor: null };
    cursor = page.nextCursor;
    if (options.limit !== undefined && items.length >= options.limit) return { items, nextCursor: cursor };
  }
}

/** `--json`: one JSON array of every item. Otherwise `human(items)`, and on stderr the command to go on. */
export async function printList<T>(
  ctx: Context,
  fetchPage: (p: PageParams) => Promise<Page<T>>,
  options: { limit?: number; cursor?: string },
  human: (items: T[]) => string,
  noun: string,
  again: string,
) {
  const { items, nextCursor } = await collect(fetchPage, options);
  if (ctx.json) return ctx.out(JSON.stringify(items, null, 2));
  ctx.out(items.length ? human(items) : ctx.c.dim(`No ${noun}.`));
  if (nextCursor) ctx.hint(`More ${noun}: ${again} --cursor ${nextCursor}`);
}
