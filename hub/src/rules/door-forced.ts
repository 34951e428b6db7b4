import type { Rule } from './types.ts';
import { factsDetail } from '@khoa/protocol';

/** A door opened without the lock being released: someone may be breaking in. */
export const doorForced: Rule = {
  name: 'door-forced',
  lockEventTypes: ['forced'],
  on: {
    async lock_event(i, ctx) {
      if (i.event.type !== 'forced') return;
      await ctx.raise({ kind: 'door_forced', householdId: i.householdId, deviceId: i.deviceId, subject: i.lockId, sourceEventId: i.eventId, detail: factsDetail({ lock: i.lockId }) });
    },
  },
};
