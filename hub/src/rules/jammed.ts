import type { Rule } from './types.ts';

/** The bolt could not move: the door may be left unsecured. */
export const jammed: Rule = {
  name: 'jammed',
  on: {
    async lock_event(i, ctx) {
      if (i.event.type !== 'jammed') return;
      await ctx.raise({ kind: 'jammed', householdId: i.householdId, deviceId: i.deviceId, subject: i.lockId, sourceEventId: i.eventId, detail: `lock ${i.lockId} jammed` });
    },
  },
};
