import { lockEventValidator, type LockEvent } from '@khoa/protocol';
import { getEventBySeq } from '../../storage/events.ts';
import { resumeStoredEvent, runLockEventRules, type StoredRef } from '../lock-event-rules.ts';
import { parsePayload } from '../payload.ts';
import { eventTimeOnHubClock } from '../clock-offset.ts';
import type { DeviceMessage, Handler, IngestContext } from '../context.ts';
import type { WriteResult } from '../../storage/lock-event-store.ts';

const SAME_EVENT_MS = 2000;

/**
 * `…/lock/{lockId}/event`: validated, stored once per (device, seq) and applied to the lock's
 * state in one write, acknowledged, then fed to the rules. A replay (same seq) is counted and raises nothing
 * twice; only a stored copy whose rules never finished is run through them.
 */
export const handleLockEvent: Handler<'lock_event'> = (ctx, msg) => {
  // A plain function, not async: a payload refused here throws, and ingest counts that the same
  // as a rejection; the write's promise is the only one an event needs before its ack.
  const event = parsePayload(lockEventValidator, msg.payload, ctx.settings.mqtt.maxJsonBytes);
  const ref = { deviceId: msg.who.deviceId, householdId: msg.who.householdId, lockId: msg.topic.lockId };
  // State changes are timed on the hub's clock: a skewed agent must not make "unlocked since" hours off.
  const at = eventTimeOnHubClock(msg.who, event.ts, msg.receivedAt);
  // Queued before returning (handlers/index.ts pipelinedKinds relies on it).
  // Acknowledged once stored: the rules run after the PUBACK, in the device's order. An event
  // stored but whose rules never finish (a hub killed between) is left unmarked, and the
  // resume sweep (resume-rules.ts) runs them.
  return ctx.lockEvents.write(ref, event, msg.receivedAt, at).then((written) => () => afterStored(ctx, msg, ref, event, written));
};

/** The rules of a stored event, or, for a replay, the check that it really is the same event. */
function afterStored(ctx: IngestContext, msg: DeviceMessage, ref: StoredRef, event: LockEvent, written: WriteResult): Promise<unknown> | void {
  if (written.eventId === null) return afterReplay(ctx, msg, ref, event);
  ctx.metrics.eventsStored.inc();
  const { eventId } = written;
  // Debug, not info: every routine event is a row in the events table already, and a line per
  // event at info cost as much as its storage; what needs eyes (alerts, conflicts) logs above debug.
  if (msg.log.isLevelEnabled('debug')) msg.log.debug({ lockId: ref.lockId, seq: event.seq, type: event.type, eventId }, 'lock event');
  const done = runLockEventRules(ctx, ref, event, eventId, msg.receivedAt, false);
  return typeof done === 'boolean' ? undefined : done;
}

/** A replay: the check that it really is the same event, and its rules if a crash cut them off. */
async function afterReplay(ctx: IngestContext, msg: DeviceMessage, ref: StoredRef, event: LockEvent): Promise<void> {
  const stored = await getEventBySeq(ctx.db, ref.deviceId, event.seq);
  // A resend is the same event. A different one under a stored seq means the agent issued
  // that seq twice (a data dir lost with its clock far behind): it cannot be stored under the
  // key, and must not vanish as a "replay". Times are compared loosely: a reissued seq comes
  // from a later run of the agent, seconds at least after the first.
  if (stored && (stored.lock_id !== ref.lockId || stored.type !== event.type || Math.abs(Number(stored.device_ts) - event.ts) > SAME_EVENT_MS)) {
    ctx.metrics.eventsSeqConflict.inc();
    msg.log.error({ seq: event.seq, lockId: ref.lockId, type: event.type, ts: event.ts, stored: { lockId: stored.lock_id, type: stored.type, ts: Number(stored.device_ts) } }, 'agent reused a seq for a different event; it is not stored');
    return;
  }
  ctx.metrics.eventsDuplicate.inc();
  msg.log.debug({ seq: event.seq }, 'replayed event already stored');
  // With the embedded broker this hub is the only one handling the device, one message at a
  // time: a stored copy whose rules never finished was cut off by a crash, so finish it now.
  // With an external broker another hub may still be on it; the periodic sweep takes those.
  if (!ctx.settings.mqtt.external && stored && stored.rules_done_at === null) await resumeStoredEvent(ctx, stored);
}
