import { estimateTokens } from '../domain/chat.js';
import type { ModelEvent, ModelRequest, Provider } from './types.js';

const CHUNKS = 5;

/**
 * `alumia-local`: a deterministic stand-in that runs in the server, for development, demos and tests. It is
 * not a language model: it answers with a fixed sentence that quotes the last turn, in several chunks, and
 * counts tokens with the same estimate the server uses for context windows.
 */
export class LocalProvider implements Provider {
  readonly id = 'local';

  async *stream({ messages, signal }: ModelRequest): AsyncIterable<ModelEvent> {
    const last = messages.at(-1)?.content ?? '';
    const quoted = last.length > 200 ? `${last.slice(0, 200)}…` : last;
    const text = `This is alumia-local, a stand-in that runs inside the server, not a language model. The last turn it was sent reads: ${quoted}`;
    for (const piece of split(text, CHUNKS)) {
      // A separate turn of the event loop per chunk, as a network stream would arrive.
      await new Promise((resolve) => setImmediate(resolve));
      signal.throwIfAborted();
      yield { type: 'text', text: piece };
    }
    yield { type: 'usage', inputTokens: estimateTokens(messages), outputTokens: estimateTokens([{ content: text }]) };
  }
}

/** `text` cut at spaces into about `n` pieces that join back to it. */
function split(text: string, n: number): string[] {
  const words = text.split(/(?<= )/);
  const per = Math.ceil(words.length / n);
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += per) pieces.push(words.slice(i, i + per).join(''));
  return pieces;
}
