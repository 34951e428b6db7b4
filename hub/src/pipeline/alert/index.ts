import type { Box } from '../types.ts';

/** A confirmed person on a camera: what the hub turns into a "person while armed" alert. */
export interface PersonAlert {
  cameraId: string;
  /** Per camera, increasing; stable while the person is followed. */
  trackId: number;
  /** Median detection score over the frames that confirmed the track. */
  score: number;
  /** In source-frame pixels [x1, y1, x2, y2]. */
  box: Box;
  /** Capture time of the frame the alert was raised on (header ts, else arrival), epoch ms. */
  ts: number;
  /** Sequence number of that frame, when the agent sent one. */
  seq?: number;
  /** JPEG of that frame with the person's box (and other people's) drawn. */
  snapshot: Buffer;
}

export { renderSnapshot, overlaySvg } from './snapshot.ts';
