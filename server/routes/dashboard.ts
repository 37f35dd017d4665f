import { Router } from 'express';
import type { GetDashboardOverviewData, GetDashboardOverviewResponse } from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle } from './handler.js';

export function dashboardRoutes({ dashboard }: DataLayer): Router {
  return Router().get('/dashboard/overview', handle<GetDashboardOverviewData, GetDashboardOverviewResponse>(200, ({ caller }) => dashboard.overview(caller)));
}
