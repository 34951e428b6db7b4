import { lockEventValidator } from '@khoa/protocol';
import { getEventBySeq } from '../../storage/events.ts';
import { resumeStoredEvent, runLockEventRules } from '../lock-event-rules.ts';
import { parsePayload } from '../payload.ts';
import type { Handler } from '../context.ts';

// A Pi without a real-time clock may boot in 1970 before NTP answers; a device time that far
// off would make "unlocked since" meaningless, so state changes then use the hub's clock.
const MAX_BACKDATE_MS = 7 * 86_400_000;

/**
 * `…/lock/{lockId}/event`: validated, stored once per (device, seq) and applied to the lock's
 * state in one write, then fed to the rules. A replay (same seq) is counted and raises nothing
 * twice; only a stored copy whose rules never finished is run through them.
 */
export const handleLockEvent: Handler<'lock_event'> = async (ctx, msg) => {
  const event = parsePayload(lockEventValidator, msg.payload, ctx.settings.mqtt.maxJsonBytes);
  const ref = { deviceId: msg.who.deviceId, householdId: msg.who.householdId, lockId: msg.topic.lockId };
  const at = event.ts <= msg.receivedAt && event.ts >= msg.receivedAt - MAX_BACKDATE_MS ? event.ts : msg.receivedAt;
  const written = await ctx.writeLockEvent(ref, event, msg.receivedAt, at);
  if (written.eventId === null) {
    ctx.metrics.eventsDuplicate.inc();
    msg.log.debug({ seq: event.seq }, 'replayed event already stored');
    // With the embedded broker this hub is the only one handling the device, one message at a
    // time: a stored copy whose rules never finished was cut off by a crash, so finish it now.
    // With an external broker another hub may still be on it; the periodic sweep takes those.
    if (!ctx.settings.mqtt.external) {
      const stored = await getEventBySeq(ctx.db, ref.deviceId, event.seq);
      if (stored && stored.rules_done_at === null) await resumeStoredEvent(ctx, stored);
    }
    return;
  }
  ctx.metrics.eventsStored.inc();
  const { eventId, lock } = written;
  msg.log.info({ lockId: ref.lockId, seq: event.seq, type: event.type, eventId }, 'lock event');
  await runLockEventRules(ctx, ref, event, eventId, lock, msg.receivedAt);
};
