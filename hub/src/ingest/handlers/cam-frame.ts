import { decodeFrame } from '@khoa/protocol';
import { PayloadRejected, reasonOf } from '../payload.ts';
import type { Handler } from '../context.ts';
import { frameSeen } from '../../coverage/frame-seen.ts';

/**
 * `…/cam/{cameraId}/frame`: the envelope is checked here, then the frame is offered to the
 * FrameSink (the pipeline). Detection is not ingest's job.
 */
export const handleCamFrame: Handler<'cam_frame'> = async (ctx, msg) => {
  const r = decodeFrame(msg.payload);
  if (!r.ok) throw new PayloadRejected(reasonOf(r.error), r.error);
  // Coverage (issue 7) counts a camera that delivered a valid frame, analysed or not.
  frameSeen(ctx.db).note(msg.who.deviceId, msg.topic.cameraId, msg.receivedAt);
  const accepted = ctx.frames.offer({ householdId: msg.who.householdId, deviceId: msg.who.deviceId, cameraId: msg.topic.cameraId, receivedAt: msg.receivedAt }, r.value);
  if (!accepted) ctx.metrics.payloadRejected.inc({ kind: 'cam_frame', reason: 'sink_dropped' });
};
