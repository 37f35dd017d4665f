import { ProviderError, type ModelEvent } from './types.js';

export interface StreamTimeouts {
  /** The longest wait for the first event. */
  firstMs: number;
  /** The longest gap between two events. */
  idleMs: number;
}

/**
 * `source`, refused with a ProviderError when its first event takes longer than `firstMs` or any later one
 * longer than `idleMs`; `abort` is called first, so the provider request itself stops.
 */
export async function* withTimeouts(
  source: AsyncIterable<ModelEvent>,
  timeouts: StreamTimeouts,
  providerId: string,
  abort: () => void,
): AsyncIterable<ModelEvent> {
  const iterator = source[Symbol.asyncIterator]();
  let first = true;
  try {
    for (;;) {
      const ms = first ? timeouts.firstMs : timeouts.idleMs;
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), ms)));
      const next = iterator.next();
      const result = await Promise.race([next, expired]).finally(() => clearTimeout(timer));
      if (result === 'expired') {
        next.catch(() => undefined); // it rejects once aborted; nobody waits for it any more
        abort();
        throw new ProviderError(
          'unavailable',
          first ? `Provider ${providerId} sent no first token within ${ms} ms` : `Provider ${providerId} stalled for more than ${ms} ms`,
        );
      }
      if (result.done) return;
      first = false;
      yield result.value;
    }
  } finally {
    await iterator.return?.()?.catch?.(() => undefined);
  }
}
