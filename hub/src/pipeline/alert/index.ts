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
  /**
   * JPEG of that frame with the person's box (and other confirmed people's) drawn. Alerts raised
   * on the same frame share one picture (one Buffer), with every alerting person in the alert colour.
   */
  snapshot: Buffer;
}

export { renderSnapshot, type SnapshotBox } from './snapshot.ts';

/**
 * What an alert's picture shows: the alerting people, in the alert colour, and for context the
 * other people the tracker has confirmed and that count (in a zone) and were seen on this frame.
 * Not the tracks still being confirmed: many are low-score guesses at a coat or a shadow, and
 * a picture with boxes on them tells the police there were people who were never there.
 *
 * One picture per frame: when several tracks confirm on the same frame (people walking in
 * together), each of their alerts carries the same picture with all of them in the alert colour.
 * The hub keeps one open person alert per camera, so at most one of them is raised anyway, and
 * rendering one picture per track cost one JPEG encode each (six on one frame of the busy bench
 * clip, 100-130 ms at 1280x720, on the worker's path between two frames).
 */
export function snapshotBoxes(tracks: Track[], alerting: Track[], ts: number): SnapshotBox[] {
  const ids = new Set(alerting.map((t) => t.id));
  const others = tracks.filter((t) => !ids.has(t.id) && t.confirmed && t.inZone && t.lastSeen === ts);
  return [...alerting.map((t) => ({ t, primary: true })), ...others.map((t) => ({ t, primary: false }))].map(({ t, primary }) => ({ box: t.box, label: `${t.label} ${t.score.toFixed(2)}`, primary }));
}
