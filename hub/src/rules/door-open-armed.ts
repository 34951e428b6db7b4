import type { Rule } from './types.ts';
import { factsDetail } from '@khoa/protocol';

/** A door opened or unlocked while the household is armed (away). */
export const doorOpenArmed: Rule = {
  name: 'door-open-armed',
  lockEventTypes: ['door_open', 'unlocked'],
  on: {
    async lock_event(i, ctx) {
      if (i.event.type !== 'door_open' && i.event.type !== 'unlocked') return;
      if (!(await i.household())?.armed) return;
      await ctx.raise({ kind: 'door_open_armed', householdId: i.householdId, deviceId: i.deviceId, subject: i.lockId, sourceEventId: i.eventId, detail: factsDetail({ lock: i.lockId, event: i.event.type }) });
    },
  },
};
