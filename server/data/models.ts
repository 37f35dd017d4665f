import { readFileSync } from 'node:fs';
import { fromRoot } from '../paths.js';
import type { Model } from '../../generated/sdk/types.gen.js';

type CatalogEntry = Omit<Model, 'isDefault'>;

/** The model catalog lives in models.json; this is its only reader. */
const catalog = JSON.parse(readFileSync(fromRoot('server', 'data', 'models.json'), 'utf8')) as CatalogEntry[];

export class ModelCatalog {
  readonly ids: ReadonlySet<string> = new Set(catalog.map((m) => m.id));

  constructor(
    readonly defaultModel: string,
    readonly alaModel: string,
  ) {
    for (const id of [defaultModel, alaModel]) {
      if (!this.ids.has(id)) throw new Error(`Model ${id} is not in the catalog (server/data/models.json)`);
    }
  }

  list(): Model[] {
    return catalog.map((m) => ({ ...m, isDefault: m.id === this.defaultModel }));
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }
}
