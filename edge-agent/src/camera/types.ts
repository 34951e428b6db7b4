import type { EventEmitter } from 'node:events';
import type { KhoaError, RegisteredCamera } from '@khoa/protocol';

/** One captured JPEG, as it left the capture process. */
export interface CameraFrame {
  jpeg: Buffer;
  width: number;
  height: number;
  /** Capture time on the agent's clock, epoch ms. */
  ts: number;
}

/**
 * What a source knows about its stream. `blinded` is not here: it is judged from the pictures
 * by the motion gate, not by the source.
 */
export type SourceState = 'streaming' | 'reconnecting' | 'lost';

export interface SourceStatus {
  state: SourceState;
  /** When the source entered this state, epoch ms. */
  since: number;
  /** Short reason for people, credentials removed: "ffmpeg ended (stream lost)", "KHOA_ERR_CAMERA_AUTH …". */
  detail?: string;
  /** How frames arrive now: from the RTSP stream or by polling the snapshot URI. */
  via?: 'rtsp' | 'snapshot' | 'file';
}

export interface CameraSourceEvents {
  frame: [CameraFrame];
  state: [SourceStatus];
  /** A failed attempt (setup or capture). Repeats of the same code and message are not re-emitted. */
  error: [KhoaError];
  /** `describe()` changed (an ONVIF camera was read): the agent should register again. */
  info: [RegisteredCamera];
}

/**
 * The agent's own camera interface. node-onvif, ffmpeg and HTTP snapshots stay behind it, and a
 * simulated camera for tests implements the same thing.
 */
export interface CameraSource extends EventEmitter<CameraSourceEvents> {
  readonly id: string;
  /** What goes into the agent's registration: never a URL or a credential. */
  describe(): RegisteredCamera;
  /** Starts capturing in the background; camera faults come as states and errors, never as a rejection. */
  start(): void;
  /** Stops capture and resolves once every child process has exited. */
  stop(): Promise<void>;
  status(): SourceStatus | undefined;
}
