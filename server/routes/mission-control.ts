import type { GetMissionControlData, GetMissionControlResponse } from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle, type Operations } from './handler.js';

export function missionControlOperations({ missionControl }: DataLayer): Operations {
  return {
    getMissionControl: handle<GetMissionControlData, GetMissionControlResponse>(200, ({ caller, query }) =>
      missionControl.snapshot(caller, query),
    ),
  };
}
