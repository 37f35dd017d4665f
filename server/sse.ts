import type { Response } from 'express';

/** One server-sent event: its name and the JSON of its single `data:` line. */
export interface SseEvent {
  event: string;
  data: unknown;
}

const format = (e: SseEvent) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;

function open(res: Response): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  // No caching or transforming proxy may hold the stream back; X-Accel-Buffering turns off nginx's buffer.
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
}

/**
 * Writes `events` as an event stream, with a `: keep-alive` comment every `keepAliveMs`. It reads the
 * events to the end even when the client has gone (the source finishes its work then). Before the last
 * event (`done`) is written, `beforeDone` gets every event with the deltas joined into one, as a replay
 * sends them: a client that retries as soon as it sees `done` finds the answer stored.
 */
export async function sendEventStream(
  res: Response,
  events: AsyncIterable<SseEvent>,
  keepAliveMs: number,
  beforeDone: (events: SseEvent[]) => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  open(res);
  const write = (text: string) => {
    if (!res.destroyed && !res.writableEnded) res.write(text);
  };
  const keepAlive = setInterval(() => write(': keep-alive\n\n'), keepAliveMs);
  const sent: SseEvent[] = [];
  try {
    for await (const event of events) {
      sent.push(event);
      if (event.event === 'done') await beforeDone(joinDeltas(sent));
      write(format(event));
    }
  } finally {
    clearInterval(keepAlive);
    if (!res.writableEnded) res.end();
  }
}

/** Sends stored events again, at once. */
export function replayEventStream(res: Response, events: SseEvent[]): void {
  open(res);
  res.end(events.map(format).join(''));
}

/** The events with every run of `delta` events joined into one. */
export function joinDeltas(events: SseEvent[]): SseEvent[] {
  const joined: SseEvent[] = [];
  for (const e of events) {
    const last = joined.at(-1);
    if (e.event === 'delta' && last?.event === 'delta') {
      last.data = { text: (last.data as { text: string }).text + (e.data as { text: string }).text };
    } else {
      joined.push(e.event === 'delta' ? { event: 'delta', data: { ...(e.data as object) } } : e);
    }
  }
  return joined;
}
