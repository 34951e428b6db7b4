import type { Box, Detection, Polygon } from '../types.ts';

export interface TrackerConfig {
  /** Least IoU between a track's last box and a detection to link them. */
  matchIou: number;
  /** A track not seen for this long ends. */
  maxMissedMs: number;
  /** Detections needed before a track is confirmed. */
  confirmFrames: number;
  /** Median score over the track's recent detections needed to confirm it. */
  confirmScore: number;
  /** Scores kept per track for the median. */
  historySize: number;
  /** Polygons where a person counts (foot point inside); empty: everywhere. */
  zones: Polygon[];
  /** An alerted track that ended is remembered this long: a new track where it stood inherits "alerted". */
  reidentifyMs: number;
  /** A confirmed track whose box hardly moved over this long is stationary... */
  stationaryAfterMs: number;
  /** ...and is looked at again only this often (must stay below maxMissedMs). */
  stationaryRecheckMs: number;
}

export const defaultTrackerConfig: TrackerConfig = {
  matchIou: 0.2,
  maxMissedMs: 2500,
  confirmFrames: 3,
  confirmScore: 0.5,
  historySize: 9,
  zones: [],
  reidentifyMs: 60_000,
  stationaryAfterMs: 3000,
  stationaryRecheckMs: 1000,
};

/** One object followed over frames, boxes in source-frame pixels. */
export interface Track {
  id: number;
  label: string;
  box: Box;
  /** Median of recent detection scores. */
  score: number;
  hits: number;
  firstSeen: number;
  lastSeen: number;
  confirmed: boolean;
  /** An alert was raised for it (or for the person it continues). */
  alerted: boolean;
  /** Its foot point is in a zone (or there are no zones). */
  inZone: boolean;
}

export interface TrackUpdate {
  /** Tracks alive after this frame. */
  tracks: Track[];
  /** Tracks that became alert-worthy on this frame: confirmed, in a zone, never alerted. */
  alerts: Track[];
}

/** Links detections across one camera's frames. */
export interface Tracker {
  /** Feeds the detections of one frame (source pixels) taken at `ts` ms. */
  update(detections: Detection[], ts: number, width: number, height: number): TrackUpdate;
  /**
   * Where detection should look for tracks at `ts` (last box moved by its last motion):
   * tracks being confirmed and moving ones every frame; a confirmed person standing still
   * only every `stationaryRecheckMs`; a track that failed to confirm not at all (a false
   * positive on a static thing would otherwise cost an inference on every frame forever).
   */
  expectedBoxes(ts: number): Box[];
}

export { createTracker } from './tracker.ts';
