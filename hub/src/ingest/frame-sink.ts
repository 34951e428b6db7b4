import type { DecodedFrame } from '@khoa/protocol';

/** Where a camera frame came from. */
export interface FrameSource {
  householdId: string;
  deviceId: string;
  cameraId: string;
  /** Hub clock when the frame arrived, epoch ms. */
  receivedAt: number;
}

/**
 * The hook the frame pipeline (hub/src/pipeline/, another part of the hub) plugs into.
 * Ingest has already checked the ACL and the envelope (magic, header schema, JPEG SOI); the
 * sink owns everything after that: queueing (newest frame per camera wins), decoding,
 * motion, detection, and raising `person` alerts.
 *
 * `offer` is called on the broker's hot path for every frame: it must return quickly and never
 * throw; it returns false when it dropped the frame (queue full, camera unknown), so ingest can
 * count it. `frame.jpeg` is a view into the MQTT packet: copy or transfer it before keeping it.
 */
export interface FrameSink {
  offer(source: FrameSource, frame: DecodedFrame): boolean;
  /** Stops accepting frames and finishes or drops what is queued. */
  close?(): Promise<void>;
}

/** Used until a pipeline is plugged in: frames are validated and counted, then not analysed. */
export const discardFrames: FrameSink = {
  offer: () => false,
};
