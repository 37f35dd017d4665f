import type { GetCreditsData, GetCreditsResponse, GetUsageData, GetUsageResponse } from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle, type Operations } from './handler.js';

export function billingOperations({ credits }: DataLayer): Operations {
  return {
    getCredits: handle<GetCreditsData, GetCreditsResponse>(200, ({ caller }) => credits.balance(caller)),
    getUsage: handle<GetUsageData, GetUsageResponse>(200, ({ caller, query }) => credits.usage(caller, query)),
  };
}
