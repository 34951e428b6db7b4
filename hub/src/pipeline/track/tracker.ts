import type { Box, Detection } from '../types.ts';
import type { Track, Tracker, TrackerConfig, TrackUpdate } from './index.ts';
import { iou } from '../detect/boxes.ts';
import { inZones } from './zones.ts';

interface LiveTrack extends Track {
  scores: number[];
  prev: Box;
  /** Recent boxes with their times, for the stationary test. */
  trail: { at: number; box: Box }[];
  lookedAt: number;
}

/** Lower median: with an even count the smaller middle value, so half the frames must reach the score. */
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;

const centre = (b: Box): [number, number] => [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
const diag = (b: Box): number => Math.hypot(b[2] - b[0], b[3] - b[1]);

/**
 * How well detection `d` continues track `t`: IoU when boxes overlap enough; otherwise a
 * small score for a similar-sized box near the old one (a walker at 2 fps moves more than
 * its own width). 0 means no link.
 */
function affinity(t: LiveTrack, d: Detection, minIou: number): number {
  if (t.label !== d.label) return 0;
  const o = iou(t.box, d.box);
  if (o >= minIou) return o;
  const [tx, ty] = centre(t.box);
  const [dx, dy] = centre(d.box);
  const dist = Math.hypot(tx - dx, ty - dy) / Math.max(1, diag(t.box));
  const sizeRatio = diag(d.box) / Math.max(1, diag(t.box));
  if (dist > 0.75 || sizeRatio < 0.6 || sizeRatio > 1.7) return 0;
  return 0.1 * (1 - dist / 0.75);
}

/**
 * Greedy IoU/centroid tracker. A track is confirmed by a median score held over several
 * detections (one confident frame is not enough: margins on single frames are narrow),
 * alerts once, and an alerted person who stands still and flickers out of detection is
 * recognised when the track resumes, so a standing person does not re-alert.
 */
export function createTracker(config: TrackerConfig): Tracker {
  let nextId = 1;
  let live: LiveTrack[] = [];
  let ended: { box: Box; at: number }[] = [];

  const view = (t: LiveTrack): Track => ({
    id: t.id, label: t.label, box: t.box, score: t.score, hits: t.hits, firstSeen: t.firstSeen,
    lastSeen: t.lastSeen, confirmed: t.confirmed, alerted: t.alerted, inZone: t.inZone,
  });

  return {
    update(detections, ts, width, height): TrackUpdate {
      // Link: best pairs first.
      const pairs: { t: LiveTrack; d: number; a: number }[] = [];
      live.forEach((t) => detections.forEach((det, d) => {
        const a = affinity(t, det, config.matchIou);
        if (a > 0) pairs.push({ t, d, a });
      }));
      pairs.sort((x, y) => y.a - x.a);
      const usedT = new Set<LiveTrack>();
      const usedD = new Set<number>();
      for (const { t, d } of pairs) {
        if (usedT.has(t) || usedD.has(d)) continue;
        usedT.add(t);
        usedD.add(d);
        const det = detections[d]!;
        t.prev = t.box;
        t.box = det.box;
        t.scores.push(det.score);
        if (t.scores.length > config.historySize) t.scores.shift();
        t.hits++;
        t.lastSeen = ts;
        t.trail.push({ at: ts, box: det.box });
        while (t.trail.length > 2 && ts - t.trail[1]!.at >= config.stationaryAfterMs) t.trail.shift();
      }

      // Start tracks; one that resumes where an alerted person was is that person.
      ended = ended.filter((e) => ts - e.at <= config.reidentifyMs);
      detections.forEach((det, d) => {
        if (usedD.has(d)) return;
        const resumed = ended.findIndex((e) => iou(e.box, det.box) >= 0.3);
        if (resumed >= 0) ended.splice(resumed, 1);
        live.push({
          id: nextId++, label: det.label, box: det.box, prev: det.box, score: det.score, scores: [det.score], hits: 1,
          firstSeen: ts, lastSeen: ts, confirmed: false, alerted: resumed >= 0, inZone: false,
          trail: [{ at: ts, box: det.box }], lookedAt: ts,
        });
      });

      // End tracks not seen for a while; remember alerted ones.
      live = live.filter((t) => {
        if (ts - t.lastSeen <= config.maxMissedMs) return true;
        if (t.alerted) ended.push({ box: t.box, at: ts });
        return false;
      });

      const alerts: Track[] = [];
      for (const t of live) {
        t.score = median(t.scores);
        t.confirmed ||= t.hits >= config.confirmFrames && t.score >= config.confirmScore;
        t.inZone = inZones(t.box, width, height, config.zones);
        if (t.confirmed && t.inZone && !t.alerted && t.lastSeen === ts) {
          t.alerted = true;
          alerts.push(view(t));
        }
      }
      return { tracks: live.map(view), alerts };
    },
    expectedBoxes(ts) {
      const out: Box[] = [];
      for (const t of live) {
        // A tentative track is looked for only while it keeps being found and can still
        // confirm: faint false positives on static things (0.3-0.4 on a coat, a statue) would
        // otherwise cost an inference per frame. Motion regions still find anything that moves.
        if (!t.confirmed && (t.lastSeen < t.lookedAt || t.hits > config.confirmFrames + 2 || (t.hits >= 2 && t.score < config.confirmScore - 0.15))) continue;
        const oldest = t.trail[0]!;
        const stationary = t.confirmed && ts - oldest.at >= config.stationaryAfterMs && iou(oldest.box, t.box) >= 0.8;
        if (stationary && ts - t.lookedAt < config.stationaryRecheckMs) continue;
        t.lookedAt = ts;
        const dx = stationary ? 0 : (t.box[0] + t.box[2] - t.prev[0] - t.prev[2]) / 2;
        const dy = stationary ? 0 : (t.box[1] + t.box[3] - t.prev[1] - t.prev[3]) / 2;
        out.push([t.box[0] + dx, t.box[1] + dy, t.box[2] + dx, t.box[3] + dy]);
      }
      return out;
    },
  };
}
