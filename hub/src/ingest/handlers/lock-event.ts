import { lockEventValidator } from '@khoa/protocol';
import { getHousehold } from '../../storage/households.ts';
import { parsePayload } from '../payload.ts';
import type { Handler } from '../context.ts';

// A Pi without a real-time clock may boot in 1970 before NTP answers; a device time that far
// off would make "unlocked since" meaningless, so state changes then use the hub's clock.
const MAX_BACKDATE_MS = 7 * 86_400_000;

/**
 * `…/lock/{lockId}/event`: validated, stored once per (device, seq) and applied to the lock's
 * state in one write, then fed to the rules. A replay (same seq) is counted and stops here, so it raises
 * nothing twice.
 */
export const handleLockEvent: Handler<'lock_event'> = async (ctx, msg) => {
  const event = parsePayload(lockEventValidator, msg.payload, ctx.settings.mqtt.maxJsonBytes);
  const ref = { deviceId: msg.who.deviceId, householdId: msg.who.householdId, lockId: msg.topic.lockId };
  const at = event.ts <= msg.receivedAt && event.ts >= msg.receivedAt - MAX_BACKDATE_MS ? event.ts : msg.receivedAt;
  const written = await ctx.writeLockEvent(ref, event, msg.receivedAt, at);
  if (written.eventId === null) {
    ctx.metrics.eventsDuplicate.inc();
    msg.log.debug({ seq: event.seq }, 'replayed event already stored');
    return;
  }
  ctx.metrics.eventsStored.inc();
  const { eventId, lock } = written;
  let household: ReturnType<typeof getHousehold> | undefined;
  msg.log.info({ lockId: ref.lockId, seq: event.seq, type: event.type, eventId }, 'lock event');
  await ctx.rules.dispatch({ kind: 'lock_event', ...ref, event, eventId, lock, receivedAt: msg.receivedAt, household: () => (household ??= getHousehold(ctx.db, ref.householdId)) });
};
