import { useEffect, useState } from 'preact/hooks';
import { failureOf } from './api.js';

interface ListPage<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A list read a page at a time: the first page when the page opens, the next ones from its "Show more"
 * button. `items` is null until the first page arrives.
 */
export function usePagedList<T>(fetchPage: (query: { limit: number; cursor?: string }) => Promise<ListPage<T>>) {
  const [items, setItems] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const load = async (after: string | null) => {
    setBusy(true);
    try {
      const page = await fetchPage({ limit: 50, ...(after ? { cursor: after } : {}) });
      setItems((shown) => [...(after ? (shown ?? []) : []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (e) {
      setError(failureOf(e).message);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void load(null), []);

  /** The button that reads the next page, while there is one. */
  const more = (label: string) =>
    cursor && (
      <button type="button" class="secondary" disabled={busy} onClick={() => void load(cursor)}>
        {busy ? 'Loading…' : label}
      </button>
    );
  return { items, error, more };
}
