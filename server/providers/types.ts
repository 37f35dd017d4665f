/** One turn of the conversation sent to a model, in the Chat Completions roles. */
export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ModelRequest {
  /** The model's name at the provider. */
  model: string;
  messages: ChatTurn[];
  /** Aborts the provider request: the client went away, or a timeout fired. */
  signal: AbortSignal;
}

/** What a model streams: pieces of text in order, and (usually last) the tokens it counted. */
export type ModelEvent = { type: 'text'; text: string } | { type: 'usage'; inputTokens: number; outputTokens: number };

/** A model provider: anything that streams an answer to a list of turns. */
export interface Provider {
  readonly id: string;
  stream(request: ModelRequest): AsyncIterable<ModelEvent>;
}

/**
 * A provider failure, already worded for the API's caller: it names the provider and never its key or URL.
 * `unavailable` is worth retrying (503); `rejected` means the provider refused this request as invalid (422).
 */
export class ProviderError extends Error {
  constructor(
    readonly kind: 'unavailable' | 'rejected',
    message: string,
    /** Seconds to wait before retrying: the provider's own Retry-After when it sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}
