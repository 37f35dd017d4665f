import { readFileSync } from 'node:fs';
import { fromRoot } from '../paths.js';
import type { Model } from '../../generated/sdk/types.gen.js';
import type { Providers } from '../providers/index.js';

export interface CatalogEntry extends Omit<Model, 'isDefault' | 'available'> {
  /** The model's name at its provider; its id unless the providers file says otherwise. */
  upstreamModel: string;
}

/** The built-in catalog lives in models.json; this is its only reader. */
const builtIn = (JSON.parse(readFileSync(fromRoot('server', 'data', 'models.json'), 'utf8')) as Array<Omit<CatalogEntry, 'upstreamModel'>>).map(
  (m) => ({ ...m, upstreamModel: m.id }),
);

export class ModelCatalog {
  private readonly entries: ReadonlyMap<string, CatalogEntry>;

  constructor(
    readonly defaultModel: string,
    readonly alaModel: string,
    private readonly providers: Providers,
    extra: Array<Omit<CatalogEntry, 'upstreamModel'> & { upstreamModel?: string }> = [],
  ) {
    const entries = new Map(builtIn.map((m) => [m.id, m]));
    for (const m of extra) {
      if (entries.has(m.id)) throw new Error(`Model ${m.id} of the providers file is already in the catalog (server/data/models.json)`);
      entries.set(m.id, { ...m, upstreamModel: m.upstreamModel ?? m.id });
    }
    this.entries = entries;
    for (const id of [defaultModel, alaModel]) {
      if (!entries.has(id)) throw new Error(`Model ${id} is not in the catalog (server/data/models.json)`);
    }
  }

  list(): Model[] {
    return [...this.entries.values()].map(({ upstreamModel: _, ...m }) => ({
      ...m,
      available: this.providers.isAvailable(m.provider),
      isDefault: m.id === this.defaultModel,
    }));
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** The entry of a model an agent names; agents only ever name catalog models. */
  entry(id: string): CatalogEntry {
    const found = this.entries.get(id);
    if (!found) throw new Error(`Model ${id} is not in the catalog`);
    return found;
  }
}
