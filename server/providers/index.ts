import type { ProviderConfig } from '../config.js';
import { ApiError } from '../errors.js';
import { LocalProvider } from './local.js';
import { OpenAICompatibleProvider } from './openai-compatible.js';
import type { Provider } from './types.js';

export type { ChatTurn, ModelEvent, Provider } from './types.js';
export { ProviderError } from './types.js';

/** The providers this server can call, built once from the configuration. */
export class Providers {
  private readonly ready = new Map<string, Provider>();
  private readonly missing = new Map<string, string>();

  constructor(configs: ProviderConfig[]) {
    this.ready.set('local', new LocalProvider());
    for (const c of configs) {
      if (c.missing) this.missing.set(c.id, c.missing);
      else
        this.ready.set(c.id, new OpenAICompatibleProvider({ id: c.id, baseURL: c.baseURL, apiKey: c.apiKey, keyVariable: c.keyVariable }));
    }
  }

  isAvailable(id: string): boolean {
    return this.ready.has(id);
  }

  /** The provider for a model, or 503 naming what the operator must set for it to work. */
  get(id: string, modelId: string): Provider {
    const provider = this.ready.get(id);
    if (provider) return provider;
    const missing = this.missing.get(id);
    const fix = missing ? `set ${missing}` : 'add it to the providers file named by MODEL_PROVIDERS_FILE';
    throw new ApiError('SERVICE_UNAVAILABLE', `Model ${modelId} runs on provider ${id}, which is not configured on this server: ${fix}`);
  }
}
