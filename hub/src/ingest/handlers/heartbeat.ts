import { heartbeatValidator } from '@khoa/protocol';
import { markSeen } from '../../storage/devices.ts';
import { setArmed } from '../../storage/households.ts';
import { parsePayload } from '../payload.ts';
import type { Handler } from '../context.ts';

/** `…/heartbeat`: liveness, queue health and the armed state the agent holds. */
export const handleHeartbeat: Handler<'heartbeat'> = async (ctx, msg) => {
  const hb = parsePayload(heartbeatValidator, msg.payload, ctx.settings.mqtt.maxJsonBytes);
  await markSeen(ctx.db, msg.who.deviceId, msg.receivedAt);
  if (hb.armed !== undefined) await setArmed(ctx.db, msg.who.householdId, hb.armed);
  if (hb.dropped > 0) msg.log.warn({ dropped: hb.dropped, queued: hb.queued }, 'agent dropped events from its offline queue');
};
