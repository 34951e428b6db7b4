import { KhoaError, parseStatus } from '@khoa/protocol';
import { setDeviceStatus } from '../../storage/devices.ts';
import { isLatestConnection } from '../../broker/identity.ts';
import { PayloadRejected } from '../payload.ts';
import type { Handler } from '../context.ts';

/** `…/status`: online when the agent connects, offline as its Last Will or on a clean stop. */
export const handleStatus: Handler<'status'> = async (ctx, msg) => {
  const status = parseStatus(msg.payload);
  if (!status) throw new PayloadRejected('schema', new KhoaError('KHOA_ERR_PAYLOAD_INVALID', 'status must be "online" or "offline"', { reason: 'schema' }));
  // The will of a connection the device has already replaced must not mark it offline.
  if (status === 'offline' && !isLatestConnection(msg.who)) {
    msg.log.debug('stale Last Will of a replaced connection ignored');
    return;
  }
  await setDeviceStatus(ctx.db, msg.who.deviceId, status, msg.receivedAt);
  msg.log.info({ status }, 'device status');
  await ctx.rules.dispatch({ kind: 'status', householdId: msg.who.householdId, deviceId: msg.who.deviceId, status, receivedAt: msg.receivedAt });
};
