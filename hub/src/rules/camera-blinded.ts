import type { Rule } from './types.ts';

/** Frames arrive but show nothing: covered, sprayed or turned to a wall. */
export const cameraBlinded: Rule = {
  name: 'camera-blinded',
  on: {
    async camera_state(i, ctx) {
      if (i.state.state !== 'blinded') return;
      await ctx.raise({ kind: 'camera_blinded', householdId: i.householdId, deviceId: i.deviceId, subject: i.cameraId, detail: i.state.detail ?? `camera ${i.cameraId} blinded` });
    },
  },
};
