import type { Rule } from './types.ts';
import { factsDetail } from '@khoa/protocol';

/** A sensor's enclosure was opened or the sensor removed. */
export const tamper: Rule = {
  name: 'tamper',
  lockEventTypes: ['tamper'],
  on: {
    async lock_event(i, ctx) {
      if (i.event.type !== 'tamper') return;
      await ctx.raise({ kind: 'tamper', householdId: i.householdId, deviceId: i.deviceId, subject: i.lockId, sourceEventId: i.eventId, detail: factsDetail({ lock: i.lockId }) });
    },
  },
};
