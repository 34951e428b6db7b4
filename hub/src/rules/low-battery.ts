import type { Rule } from './types.ts';
import { factsDetail } from '@khoa/protocol';

/**
 * A lock's battery at or below settings.rules.lowBatteryPercent. Any event may carry a battery
 * level, not only `battery` reports. Deduplication keeps it to one open alert per lock.
 */
export const lowBattery: Rule = {
  name: 'low-battery',
  on: {
    async lock_event(i, ctx) {
      const level = i.event.battery;
      if (level === undefined || level > ctx.settings.lowBatteryPercent) return;
      await ctx.raise({ kind: 'low_battery', householdId: i.householdId, deviceId: i.deviceId, subject: i.lockId, sourceEventId: i.eventId, detail: factsDetail({ lock: i.lockId, battery: level }) });
    },
  },
};
