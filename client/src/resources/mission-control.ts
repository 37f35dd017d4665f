import * as sdk from '../../../generated/sdk/index.js';
import { base, type CallOptions, type Transport, unwrap } from '../call.js';
import { PageIterator, type Page } from '../pagination.js';
import type { DataOf } from '../types.js';

/** The mission control snapshot: agents, stats, machines and one page of the activity feed. */
export type MissionControlSnapshot = DataOf<sdk.GetMissionControlResponse>;
/** One row of the activity feed. */
export type ActivityItem = sdk.Activity;
export type ActivityKind = sdk.ActivityKind;
export type Machine = sdk.Machine;
/** The feed's filters (`kind`, `agentId`, `projectId`, `machine`, `search`) and its `limit` (1 to 100, default 50) and `cursor`. */
export type MissionControlParams = NonNullable<sdk.GetMissionControlData['query']>;

/**
 * `client.missionControl(params)` resolves to the snapshot; `client.missionControl.activity(params)`
 * iterates over the whole feed, newest first, page by page.
 */
export interface MissionControl {
  (params?: MissionControlParams, options?: CallOptions): Promise<MissionControlSnapshot>;
  /** Every row of the feed the filters select, following pages as you iterate (`limit` is the page size). */
  activity(params?: MissionControlParams, options?: CallOptions): PageIterator<ActivityItem, MissionControlParams>;
  /** One page of the feed: the snapshot's `activity`. */
  activityPage(params?: MissionControlParams, options?: CallOptions): Promise<Page<ActivityItem>>;
}

export function missionControl(t: Transport): MissionControl {
  const snapshot = (params: MissionControlParams = {}, options?: CallOptions): Promise<MissionControlSnapshot> =>
    unwrap(sdk.getMissionControl({ ...base(t, options), query: params }));
  const activityPage = async (params: MissionControlParams = {}, options?: CallOptions) => (await snapshot(params, options)).activity;
  return Object.assign(snapshot, {
    activity: (params: MissionControlParams = {}, options?: CallOptions) =>
      new PageIterator<ActivityItem, MissionControlParams>((p) => activityPage(p, options), params),
    activityPage,
  });
}
