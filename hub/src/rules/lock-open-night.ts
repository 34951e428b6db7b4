import { listInsecureLocks } from '../storage/locks.ts';
import { hasAlertSince } from '../storage/alerts.ts';
import { nightStartedAt } from './night.ts';
import type { Rule } from './types.ts';
import { factsDetail } from '@khoa/protocol';

/**
 * A lock still unlocked (or its door still open) settings.rules.lockOpenNightMinutes into the
 * household's own night. Counted from whichever is later, the start of the night or the
 * moment it was left open, so unlocking at 23:00 for a late guest gets the same grace.
 */
export const lockOpenNight: Rule = {
  name: 'lock-open-night',
  async tick(ctx) {
    const now = ctx.now();
    const graceMs = ctx.settings.lockOpenNightMinutes * 60_000;
    for (const l of await listInsecureLocks(ctx.db)) {
      const night = nightStartedAt(now, l.night_start, l.night_end, l.timezone);
      if (night === null) continue;
      const since = Math.min(...[l.lock_state === 'unlocked' ? l.lock_state_at : null, l.door_state === 'open' ? l.door_state_at : null].filter((t): t is number => t !== null));
      if (!Number.isFinite(since)) continue;
      const from = Math.max(night, since);
      if (now - from < graceMs) continue;
      // Once per night and opening: not again after the police closed it while still open.
      if (await hasAlertSince(ctx.db, { kind: 'lock_open_night', deviceId: l.device_id, subject: l.lock_id }, from)) continue;
      const state = l.lock_state === 'unlocked' ? 'unlocked' : 'door_open';
      await ctx.raise({ kind: 'lock_open_night', householdId: l.household_id, deviceId: l.device_id, subject: l.lock_id, detail: factsDetail({ lock: l.lock_id, state, since }) });
    }
  },
};
