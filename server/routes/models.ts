import { Router } from 'express';
import type { ListModelsData, ListModelsResponse } from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle } from './handler.js';

export function modelRoutes(data: DataLayer): Router {
  return Router().get('/models', handle<ListModelsData, ListModelsResponse>(200, () => ({ items: data.models.list() })));
}
