import type { GetDashboardOverviewData, GetDashboardOverviewResponse } from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle, type Operations } from './handler.js';

export function dashboardOperations({ dashboard }: DataLayer): Operations {
  return {
    getDashboardOverview: handle<GetDashboardOverviewData, GetDashboardOverviewResponse>(200, ({ caller }) => dashboard.overview(caller)),
  };
}
