import type { DocsAnswer } from '../../generated/sdk/types.gen.js';
import { contract } from '../contract.js';
import {
  citedHits,
  isConfident,
  modelTurns,
  normalizeQuestion,
  passageAnswer,
  toCitation,
  unknownAnswer,
  type Hit,
} from '../domain/docs-assistant.js';
import type { ModelCatalog } from '../data/models.js';
import type { Logger } from '../logger.js';
import type { Providers } from '../providers/index.js';
import { withTimeouts, type StreamTimeouts } from '../providers/timeouts.js';
import { readGuide } from './guide.js';
import { contractPassages, guidePassages } from './passages.js';
import { DocsIndex } from './search.js';

export interface DocsAssistantOptions {
  /** The catalog model that writes answers; quoted passages only when undefined. */
  model: string | undefined;
  models: ModelCatalog;
  providers: Providers;
  timeouts: StreamTimeouts;
  logger?: Logger;
}

/** Builds the index from the bundled contract and the guide; answers how long that took. */
export function buildDocsIndex(): { index: DocsIndex; ms: number } {
  const started = performance.now();
  const index = new DocsIndex([...contractPassages(contract), ...guidePassages(readGuide())]);
  return { index, ms: performance.now() - started };
}

/**
 * The docs assistant. The index is built on the first question rather than at start, so a server (and
 * every test app) that is never asked pays nothing for it; then it lives as long as the process.
 */
export class DocsAssistant {
  private index: DocsIndex | undefined;

  constructor(private readonly options: DocsAssistantOptions) {}

  private docs(): DocsIndex {
    if (!this.index) {
      const { index, ms } = buildDocsIndex();
      this.options.logger?.info({ passages: index.size, ms: Math.round(ms) }, 'docs assistant index built');
      this.index = index;
    }
    return this.index;
  }

  async ask(rawQuestion: string): Promise<DocsAnswer> {
    const question = normalizeQuestion(rawQuestion);
    const docs = this.docs();
    const words = docs.words(question);
    const hits = docs.query(question);
    if (!isConfident(hits[0], words.length)) return unknownAnswer();
    const cited = citedHits(hits);
    const passages = passageAnswer(cited.map((h) => toCitation(h, words)));
    const written = await this.modelAnswer(question, cited);
    return written === undefined ? passages : { ...passages, answer: written };
  }

  /** The configured model's answer from the cited passages, or undefined when there is none to be had. */
  private async modelAnswer(question: string, hits: Hit[]): Promise<string | undefined> {
    const { model, models, providers, timeouts, logger } = this.options;
    if (!model) return undefined;
    const controller = new AbortController();
    try {
      const entry = models.entry(model);
      const provider = providers.get(entry.provider, model);
      const events = provider.stream({ model: entry.upstreamModel, messages: modelTurns(question, hits), signal: controller.signal });
      let text = '';
      for await (const event of withTimeouts(events, timeouts, provider.id, () => controller.abort())) {
        if (event.type === 'text') text += event.text;
      }
      return text.trim() === '' ? undefined : text.trim();
    } catch (err) {
      // Any failure (not configured, unreachable, refused, too slow) leaves the quoted passages.
      logger?.warn({ err, model }, 'docs assistant model failed; answering with the passages');
      return undefined;
    } finally {
      controller.abort();
    }
  }
}
