import type { Rule } from './types.ts';
import { factsDetail } from '@khoa/protocol';

/** Frames arrive but show nothing: covered, sprayed or turned to a wall. */
export const cameraBlinded: Rule = {
  name: 'camera-blinded',
  on: {
    async camera_state(i, ctx) {
      if (i.state.state !== 'blinded') return;
      await ctx.raise({ kind: 'camera_blinded', householdId: i.householdId, deviceId: i.deviceId, subject: i.cameraId, detail: factsDetail({ camera: i.cameraId, ...(i.state.detail ? { reason: i.state.detail } : {}) }) });
    },
  },
};
