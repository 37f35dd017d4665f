import type { GetMeData, GetMeResponse } from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle, type Operations } from './handler.js';

export function meOperations(data: DataLayer): Operations {
  return {
    getMe: handle<GetMeData, GetMeResponse>(200, ({ caller }) => data.me.get(caller)),
  };
}
