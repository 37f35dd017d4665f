import { Router } from 'express';
import type { GetMeData, GetMeResponse } from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle } from './handler.js';

export function meRoutes(data: DataLayer): Router {
  return Router().get('/me', handle<GetMeData, GetMeResponse>(200, ({ caller }) => data.me.get(caller)));
}
