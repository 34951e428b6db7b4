import type { Rule } from './types.ts';
import { factsDetail } from '@khoa/protocol';

/** The agent gave up reconnecting to a camera (it already retried; see protocol CAMERA_STATES). */
export const cameraLost: Rule = {
  name: 'camera-lost',
  on: {
    async camera_state(i, ctx) {
      if (i.state.state !== 'lost') return;
      await ctx.raise({ kind: 'camera_lost', householdId: i.householdId, deviceId: i.deviceId, subject: i.cameraId, detail: factsDetail({ camera: i.cameraId, ...(i.state.detail ? { reason: i.state.detail } : {}) }) });
    },
  },
};
