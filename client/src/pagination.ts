import type { PageInfo } from '../../generated/sdk/index.js';
import { AlumiaError } from './errors.js';

/** One page of a paginated list, exactly as the API returns it in `data`. */
export type Page<T> = PageInfo & { items: T[] };

/** Query parameters of every paginated list. `limit` is the page size (1 to 100, default 100). */
export interface PageParams {
  limit?: number;
  /** Start after this cursor (a previous page's `nextCursor`); omit it to start at the beginning. */
  cursor?: string;
}

/**
 * Every item of a paginated list, fetched page by page as you iterate: nothing is requested until the
 * first `next()`, and each further page only when the previous one is used up.
 *
 * ```ts
 * for await (const agent of client.agents.list({ limit: 50 })) console.log(agent.slug);
 * const all = await client.agents.list().toArray();
 * ```
 */
export class PageIterator<T, P extends PageParams = PageParams> implements AsyncIterable<T> {
  readonly #fetchPage: (params: P) => Promise<Page<T>>;
  readonly #params: P;

  /** `params` are sent with every page (filters included); only `cursor` changes from page to page. */
  constructor(fetchPage: (params: P) => Promise<Page<T>>, params?: P) {
    this.#fetchPage = fetchPage;
    this.#params = params ?? ({} as P);
  }

  /** The pages themselves, following `nextCursor` until `hasMore` is false. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let cursor = this.#params.cursor;
    for (;;) {
      const page = await this.#fetchPage({ ...this.#params, cursor });
      yield page;
      if (!page.hasMore || !page.nextCursor) return;
      if (page.nextCursor === cursor) {
        throw new AlumiaError({ code: 'INVALID_RESPONSE', status: 200, message: 'The server returned the same cursor twice; stopping' });
      }
      cursor = page.nextCursor;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.items;
  }

  /** Reads every page and returns all items (mind the size of the list). */
  async toArray(): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this) items.push(item);
    return items;
  }
}
