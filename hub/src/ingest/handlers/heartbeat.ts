import { heartbeatValidator } from '@khoa/protocol';
import { parsePayload } from '../payload.ts';
import { noteDeviceClock } from '../clock-offset.ts';
import type { Handler } from '../context.ts';

// The heartbeat's `dropped` counts since the agent process started; the hub adds what is new.
// Per device for the hub's life (bounded by the devices it has seen), per hub (keyed by its
// metrics). A hub restarted while an agent that dropped events stays up counts those once
// more: an over-count, never a silent loss.
const lastDroppedByHub = new WeakMap<object, Map<string, number>>();

/** `…/heartbeat`: liveness, queue health and the armed state the agent holds. */
export const handleHeartbeat: Handler<'heartbeat'> = async (ctx, msg) => {
  const hb = parsePayload(heartbeatValidator, msg.payload, ctx.settings.mqtt.maxJsonBytes);
  noteDeviceClock(msg.who, hb.ts, msg.receivedAt, { metrics: ctx.metrics, log: msg.log });
  await ctx.heartbeats.seen(msg.who.deviceId, msg.who.householdId, msg.receivedAt, hb.armed);
  let lastDropped = lastDroppedByHub.get(ctx.metrics);
  if (!lastDropped) lastDroppedByHub.set(ctx.metrics, (lastDropped = new Map()));
  const before = lastDropped.get(msg.who.deviceId) ?? 0;
  // Lower than before: the agent restarted and counts from zero again.
  const added = hb.dropped >= before ? hb.dropped - before : hb.dropped;
  if (hb.dropped > 0 || lastDropped.has(msg.who.deviceId)) lastDropped.set(msg.who.deviceId, hb.dropped);
  if (added > 0) {
    ctx.metrics.agentEventsDropped.inc(added);
    msg.log.warn({ dropped: hb.dropped, added, queued: hb.queued }, 'agent dropped events before the hub got them');
  }
};
