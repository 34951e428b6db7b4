import type { Box } from '../types.ts';
import type { Track } from '../track/index.ts';
import type { SnapshotBox } from './snapshot.ts';

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
  /** JPEG of that frame with the person's box (and other confirmed people's) drawn. */
  snapshot: Buffer;
}

export { renderSnapshot, type SnapshotBox } from './snapshot.ts';

/**
 * What an alert's picture shows: the alerting person, in the alert colour, and for context the
 * other people the tracker has confirmed and that count (in a zone) and were seen on this frame.
 * Not the tracks still being confirmed: many are low-score guesses at a coat or a shadow, and
 * a picture with boxes on them tells the police there were people who were never there.
 */
export function snapshotBoxes(tracks: Track[], alerting: Track, ts: number): SnapshotBox[] {
  const others = tracks.filter((t) => t.id !== alerting.id && t.confirmed && t.inZone && t.lastSeen === ts);
  return [alerting, ...others].map((t) => ({ box: t.box, label: `${t.label} ${t.score.toFixed(2)}`, primary: t.id === alerting.id }));
}
