import type { CameraStateMessage, FrameHeader, RegisteredCamera } from '@khoa/protocol';

/**
 * How camera code (edge-agent/src/camera/) plugs into the agent. The agent owns the MQTT link,
 * registration and commands; a provider owns discovery and capture, and publishes through the
 * sink it is given. The two publish methods have the shape of the camera side's own
 * `CameraSink` (camera/sink.ts), so a camera sink can be handed this one as is.
 */
export interface CameraSink {
  /**
   * Sends one JPEG frame (QoS 0, encoded in the protocol's frame envelope). Frames are
   * perishable: while the link is down they are dropped and counted, never queued.
   * Returns false when the frame was dropped.
   */
  publishFrame(cameraId: string, header: FrameHeader, jpeg: Uint8Array): boolean;
  /**
   * Reports a camera's state (retained, QoS 1). While the link is down the latest state per
   * camera is kept and sent on reconnect. A message that breaks the schema is refused and logged.
   */
  publishCameraState(cameraId: string, msg: CameraStateMessage): void;
  /** Sends `…/register` again now (if connected): call it when the list of cameras changed. */
  announce(): void;
}

export interface CameraProvider {
  /** Cameras to announce in `…/register`; called on every connect, so discoveries show up on the next one. */
  cameras(): RegisteredCamera[];
  /** Starts discovery and capture; publishes through `sink`. */
  start(sink: CameraSink): Promise<void>;
  /** Stops capture and releases processes and sockets; safe to call twice. */
  stop(): Promise<void>;
  /**
   * Captures one frame now for the `snapshot` command and publishes it through the sink
   * (keyframe). Rejects with a KhoaError when the camera cannot deliver one.
   */
  snapshot?(cameraId: string): Promise<void>;
}
