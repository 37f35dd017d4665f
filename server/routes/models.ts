import type { ListModelsData, ListModelsResponse } from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle, type Operations } from './handler.js';

export function modelOperations(data: DataLayer): Operations {
  return {
    listModels: handle<ListModelsData, ListModelsResponse>(200, () => ({ items: data.models.list() })),
  };
}
