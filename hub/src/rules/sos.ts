import type { Rule } from './types.ts';
import { factsDetail } from '@khoa/protocol';

/** Panic button on a keyring or lock. */
export const sos: Rule = {
  name: 'sos',
  lockEventTypes: ['sos'],
  on: {
    async lock_event(i, ctx) {
      if (i.event.type !== 'sos') return;
      await ctx.raise({ kind: 'sos', householdId: i.householdId, deviceId: i.deviceId, subject: i.lockId, sourceEventId: i.eventId, detail: factsDetail({ lock: i.lockId }) });
    },
  },
};
