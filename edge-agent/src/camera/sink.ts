import type { CameraStateMessage, FrameHeader } from '@khoa/protocol';

/**
 * Where the camera side hands its output to the agent core, which publishes it over MQTT:
 * frames on `…/cam/{cameraId}/frame` (QoS 0, `encodeFrame(header, jpeg)`), states retained on
 * `…/cam/{cameraId}/state`. A sink that throws or rejects is logged; capture goes on.
 */
export interface CameraSink {
  publishFrame(cameraId: string, header: FrameHeader, jpeg: Buffer): void | Promise<void>;
  publishCameraState(cameraId: string, msg: CameraStateMessage): void | Promise<void>;
}

/** The subset of pino the camera code logs through. */
export interface CameraLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: CameraLogger = { debug() {}, info() {}, warn() {}, error() {} };
