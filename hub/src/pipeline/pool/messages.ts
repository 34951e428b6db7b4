import type { CameraConfigInput, StageTimings } from '../camera.ts';
import type { DetectorChoice } from '../detect/load.ts';
import type { MotionEvent } from '../motion/index.ts';
import type { Track } from '../track/index.ts';
import type { Box, Detection, Region } from '../types.ts';
import type { DecodeLimits } from '../frames/decode.ts';

/** What a pipeline worker is started with. */
export interface WorkerInit {
  entry: string;
  detector: DetectorChoice;
  maxBatch: number;
  decode: DecodeLimits;
  /** Closed by the pool before it terminates the worker (see frames/jpeg-turbo.ts). */
  decodeGuard?: Int32Array;
}

/** Main thread → worker. Frames carry their JPEG as a transferred ArrayBuffer. */
export type ToWorker =
  | { type: 'configure'; cameraId: string; config: CameraConfigInput }
  | { type: 'forget'; cameraId: string }
  | { type: 'frame'; id: number; cameraId: string; jpeg: ArrayBuffer; ts: number; seq?: number }
  | { type: 'stop' };

export interface WireAlert {
  trackId: number;
  score: number;
  box: Box;
  ts: number;
  seq?: number;
  snapshot: ArrayBuffer;
}

export interface WireResult {
  motion: boolean;
  motionBoxes: Box[];
  regions: Region[];
  detections: Detection[];
  tracks: Track[];
  events: MotionEvent[];
  blinded: boolean;
  width: number;
  height: number;
  timings: StageTimings;
}

/** Worker → main thread. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'fatal'; error: { code?: string; message: string } }
  | { type: 'result'; id: number; cameraId: string; result: WireResult; alerts: WireAlert[]; cameraBytes: number }
  | { type: 'frame_error'; id: number; cameraId: string; error: { code?: string; message: string } };
