import type { Box, Detection, Polygon, Region } from './types.ts';
import type { DecodedFrame } from './frames/decode.ts';
import { createMotionDetector, defaultMotionConfig, type MotionConfig, type MotionEvent, type MotionDetector } from './motion/index.ts';
import { createTracker, defaultTrackerConfig, type Track, type Tracker, type TrackerConfig } from './track/index.ts';
import { planRegions, wholeFrameTiles, defaultRegionOptions } from './detect/regions.ts';
import type { DetectRunner } from './detect/runner.ts';
import { renderSnapshot, type PersonAlert } from './alert/index.ts';

/** Per-camera settings; every field optional in input, defaults below. */
export interface CameraConfig {
  motion: MotionConfig;
  tracker: TrackerConfig;
  /** Least score for a detection to be reported (analyze output, frame events). */
  reportScore: number;
  /** Most regions searched per frame. */
  maxRegions: number;
}

export const defaultCameraConfig: CameraConfig = {
  motion: defaultMotionConfig,
  tracker: defaultTrackerConfig,
  reportScore: 0.45,
  maxRegions: 4,
};

export interface CameraConfigInput {
  motion?: Partial<MotionConfig>;
  tracker?: Partial<TrackerConfig>;
  reportScore?: number;
  maxRegions?: number;
  /** Shorthands: motion sensitivity, motion masks, tracker zones. */
  sensitivity?: number;
  masks?: Polygon[];
  zones?: Polygon[];
}

export function resolveCameraConfig(c: CameraConfigInput = {}): CameraConfig {
  return {
    motion: { ...defaultMotionConfig, ...c.motion, ...(c.sensitivity !== undefined && { sensitivity: c.sensitivity }), ...(c.masks && { masks: c.masks }) },
    tracker: { ...defaultTrackerConfig, ...c.tracker, ...(c.zones && { zones: c.zones }) },
    reportScore: c.reportScore ?? defaultCameraConfig.reportScore,
    maxRegions: c.maxRegions ?? defaultCameraConfig.maxRegions,
  };
}

export interface StageTimings {
  decode?: number;
  motion: number;
  /** Region sampling + inference + output decoding. */
  detect: number;
  /** Part of `detect` spent in the model itself. */
  infer: number;
  track: number;
  snapshot: number;
}

/** Everything learnt from one frame; boxes in source-frame pixels. */
export interface FrameAnalysis {
  motion: boolean;
  motionBoxes: Box[];
  regions: Region[];
  detections: Detection[];
  tracks: Track[];
  alerts: PersonAlert[];
  events: MotionEvent[];
  blinded: boolean;
  timings: StageTimings;
}

export interface FrameInput {
  frame: DecodedFrame;
  /** Capture time, epoch ms (drives tracking and the blinded timer). */
  ts: number;
  seq?: number;
  /** The frame as received, for the snapshot; without it the decoded pixels are encoded. */
  jpeg?: Uint8Array;
  /** `still`: no motion history, search the whole image. */
  mode?: 'video' | 'still';
}

const scaleBox = (b: Box, s: number): Box => [b[0] * s, b[1] * s, b[2] * s, b[3] * s];
const scaleRegion = (r: Region, s: number): Region => ({ x: r.x * s, y: r.y * s, size: r.size * s });

/**
 * One camera's pipeline state and its per-frame steps:
 * motion → regions (motion ∪ expected tracks) → detect → track → alerts with snapshots.
 * Runs in a worker (or inline for the CLI); everything it keeps is per camera.
 */
export class CameraAnalyzer {
  private readonly motion: MotionDetector;
  private readonly tracker: Tracker;
  private readonly config: CameraConfig;
  private started = false;

  constructor(readonly cameraId: string, private readonly runner: DetectRunner, config: CameraConfigInput = {}) {
    this.config = resolveCameraConfig(config);
    this.motion = createMotionDetector(this.config.motion);
    this.tracker = createTracker(this.config.tracker);
  }

  async analyze(input: FrameInput): Promise<FrameAnalysis> {
    const { frame, ts } = input;
    const s = frame.scale;
    const n = this.runner.detector.inputSize;

    const t0 = performance.now();
    const still = input.mode === 'still';
    const m = still ? undefined : this.motion.update(frame, ts);
    const motionBoxes = m?.boxes ?? [];
    const t1 = performance.now();

    // Where to look: motion and where tracked people should be now. The whole frame for a
    // still image, a camera's first frame (someone may already stand there, and a still
    // person makes no motion) and right after a lighting change (a person may have caused it).
    const wholeFrame = still || !this.started || m?.events.includes('recalibrated');
    this.started = true;
    const regions = wholeFrame
      ? wholeFrameTiles(frame.width, frame.height)
      : m?.blinded
        ? []
        : planRegions([...motionBoxes, ...this.tracker.expectedBoxes().map((b) => scaleBox(b, 1 / s))], frame.width, frame.height, {
            ...defaultRegionOptions,
            inputSize: n,
            maxRegions: this.config.maxRegions,
          });
    const found = await this.runner.detect(frame, regions);
    const candidates = found.detections.map((d) => ({ ...d, box: scaleBox(d.box, s) }));
    const t2 = performance.now();

    const { tracks, alerts } = this.tracker.update(candidates, ts, frame.sourceWidth, frame.sourceHeight);
    const t3 = performance.now();

    const personAlerts: PersonAlert[] = [];
    for (const a of alerts) {
      const boxes = tracks.filter((t) => t.lastSeen === ts).map((t) => ({ box: t.box, label: `${t.label} ${t.score.toFixed(2)}`, primary: t.id === a.id }));
      const source = input.jpeg
        ? { jpeg: input.jpeg, width: frame.sourceWidth, height: frame.sourceHeight }
        : { raw: frame };
      const drawn = input.jpeg ? boxes : boxes.map((b) => ({ ...b, box: scaleBox(b.box, 1 / s) }));
      personAlerts.push({
        cameraId: this.cameraId,
        trackId: a.id,
        score: a.score,
        box: a.box,
        ts,
        ...(input.seq !== undefined && { seq: input.seq }),
        snapshot: await renderSnapshot(source, drawn),
      });
    }
    const t4 = performance.now();

    return {
      motion: still || motionBoxes.length > 0,
      motionBoxes: motionBoxes.map((b) => scaleBox(b, s)),
      regions: regions.map((r) => scaleRegion(r, s)),
      detections: candidates.filter((d) => d.score >= this.config.reportScore),
      tracks,
      alerts: personAlerts,
      events: m?.events ?? [],
      blinded: m?.blinded ?? false,
      timings: { motion: t1 - t0, detect: t2 - t1, infer: found.inferMs, track: t3 - t2, snapshot: t4 - t3 },
    };
  }

  /** Bytes of per-camera state (motion planes; tracks are a few objects). */
  memoryBytes(): number {
    return this.motion.memoryBytes();
  }
}
