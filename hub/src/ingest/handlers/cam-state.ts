import { cameraStateValidator } from '@khoa/protocol';
import { setCameraState } from '../../storage/cameras.ts';
import { parsePayload } from '../payload.ts';
import type { Handler } from '../context.ts';

/** `…/cam/{cameraId}/state`: streaming, reconnecting, lost or blinded; the rules alert on the last two. */
export const handleCamState: Handler<'cam_state'> = async (ctx, msg) => {
  const state = parsePayload(cameraStateValidator, msg.payload, ctx.settings.mqtt.maxJsonBytes);
  const ref = { deviceId: msg.who.deviceId, householdId: msg.who.householdId, cameraId: msg.topic.cameraId };
  await setCameraState(ctx.db, ref, state.state, msg.receivedAt);
  msg.log.info({ cameraId: ref.cameraId, state: state.state }, 'camera state');
  await ctx.rules.dispatch({ kind: 'camera_state', ...ref, state, receivedAt: msg.receivedAt });
};
