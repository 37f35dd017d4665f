import OpenAI, { APIConnectionError, APIError } from 'openai';
import { retryAfterSeconds } from '../domain/chat.js';
import { ProviderError, type ModelEvent, type ModelRequest, type Provider } from './types.js';

export interface OpenAICompatibleSettings {
  id: string;
  baseURL: string;
  /** Undefined for servers that need none (a local Ollama); a placeholder is sent then. */
  apiKey: string | undefined;
  /** The variable that holds the key, named when the provider refuses it. */
  keyVariable: string;
}

/**
 * Any provider that speaks `POST {baseURL}/chat/completions` with SSE streaming (OpenAI, xAI, Ollama, vLLM,
 * LM Studio, OpenRouter), through the official client. The client's own retries are off: a failure is
 * reported at once with Retry-After and the API's caller decides; timeouts are the server's (providers/timeouts.ts).
 */
export class OpenAICompatibleProvider implements Provider {
  readonly id: string;
  private readonly client: OpenAI;

  constructor(private readonly settings: OpenAICompatibleSettings) {
    this.id = settings.id;
    this.client = new OpenAI({
      apiKey: settings.apiKey ?? 'none',
      baseURL: settings.baseURL,
      maxRetries: 0,
      logLevel: 'off',
      // Unused in practice: the first-token and idle timeouts abort much sooner.
      timeout: 10 * 60_000,
    });
  }

  async *stream({ model, messages, signal }: ModelRequest): AsyncIterable<ModelEvent> {
    try {
      const stream = await this.client.chat.completions.create(
        { model, messages, stream: true, stream_options: { include_usage: true } },
        { signal },
      );
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta?.content;
        if (text) yield { type: 'text', text };
        if (chunk.usage) yield { type: 'usage', inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
      }
    } catch (err) {
      // An abort is ours (client gone, timeout): the caller knows why and reports it.
      if (signal.aborted) throw err;
      throw this.describe(err);
    }
  }

  /** The failure in words fit for the API's caller: the provider's name and status, never its key or URL. */
  private describe(err: unknown): ProviderError {
    const name = `Provider ${this.id}`;
    if (!isApiError(err) || err instanceof APIConnectionError) {
      return new ProviderError('unavailable', `${name} could not be reached or dropped the connection`);
    }
    const apiError = err;
    const { status, headers } = apiError;
    const retryAfter = retryAfterSeconds(headers?.get('retry-after') ?? undefined, Date.now());
    if (status === undefined) return new ProviderError('unavailable', `${name} failed while streaming its answer`, retryAfter);
    if (status === 429) return new ProviderError('unavailable', `${name} is rate limiting requests (HTTP 429)`, retryAfter);
    if (status >= 500) return new ProviderError('unavailable', `${name} failed (HTTP ${status})`, retryAfter);
    if (status === 401 || status === 403) {
      return new ProviderError(
        'unavailable',
        `${name} refused this server's credentials (HTTP ${status}); the operator should check ${this.settings.keyVariable}`,
      );
    }
    return new ProviderError('rejected', `${name} refused the request (HTTP ${status}): ${this.upstreamMessage(apiError)}`);
  }

  /** The provider's own explanation, which may quote the request but must never carry our key. */
  private upstreamMessage(err: APIError): string {
    const body: { message?: unknown } | undefined = err.error;
    let text = typeof body?.message === 'string' ? body.message : 'no reason given';
    const key = this.settings.apiKey;
    if (key) text = text.split(key).join('[redacted]');
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  }
}

// The client's error classes are generic over `any`; this narrows to the declared defaults.
const isApiError = (err: unknown): err is APIError => err instanceof APIError;
