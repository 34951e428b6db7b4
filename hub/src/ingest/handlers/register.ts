import { registerValidator } from '@khoa/protocol';
import { setRegistration } from '../../storage/devices.ts';
import { upsertLocks } from '../../storage/locks.ts';
import { upsertCameras } from '../../storage/cameras.ts';
import { parsePayload } from '../payload.ts';
import { noteDeviceClock } from '../clock-offset.ts';
import type { Handler } from '../context.ts';

/** `…/register`: the agent announces its version, locks and cameras on every connect. */
export const handleRegister: Handler<'register'> = async (ctx, msg) => {
  const reg = parsePayload(registerValidator, msg.payload, ctx.settings.mqtt.maxJsonBytes);
  const { deviceId, householdId } = msg.who;
  // Sent first on every connect, before any queued event: the offset applies to the backlog too.
  noteDeviceClock(msg.who, reg.ts, msg.receivedAt, { metrics: ctx.metrics, log: msg.log });
  await ctx.db.transaction().execute(async (tx) => {
    await setRegistration(tx, deviceId, reg, msg.receivedAt);
    await upsertLocks(tx, deviceId, householdId, reg.locks, msg.receivedAt);
    await upsertCameras(tx, deviceId, householdId, reg.cameras, msg.receivedAt);
  });
  msg.log.info({ agentVersion: reg.agentVersion, locks: reg.locks.length, cameras: reg.cameras.length }, 'agent registered');
};
