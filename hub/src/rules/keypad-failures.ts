import type { Rule } from './types.ts';
import { factsDetail } from '@khoa/protocol';

/** Wrong codes entered in a row reached the threshold (settings.rules.keypadFailures): someone guessing. */
export const keypadFailures: Rule = {
  name: 'keypad-failures',
  lockEventTypes: ['keypad_failures'],
  on: {
    async lock_event(i, ctx) {
      if (i.event.type !== 'keypad_failures') return;
      const n = i.event.failures ?? 1;
      if (n < ctx.settings.keypadFailures) return;
      await ctx.raise({ kind: 'keypad_failures', householdId: i.householdId, deviceId: i.deviceId, subject: i.lockId, sourceEventId: i.eventId, detail: factsDetail({ lock: i.lockId, failures: n }) });
    },
  },
};
