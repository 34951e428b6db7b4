import type { Rule } from './types.ts';
import { factsDetail } from '@khoa/protocol';

/** The bolt could not move: the door may be left unsecured. */
export const jammed: Rule = {
  name: 'jammed',
  lockEventTypes: ['jammed'],
  on: {
    async lock_event(i, ctx) {
      if (i.event.type !== 'jammed') return;
      await ctx.raise({ kind: 'jammed', householdId: i.householdId, deviceId: i.deviceId, subject: i.lockId, sourceEventId: i.eventId, detail: factsDetail({ lock: i.lockId }) });
    },
  },
};
