import type { Box, Detection, Polygon, Region } from './types.ts';
import { KhoaError } from '@khoa/protocol';
import { decodeImage, defaultDecodeLimits, probeImage, type DecodedFrame, type DecodeLimits } from './frames/decode.ts';
import {
  createMotionDetector, defaultMotionConfig, toGreyPlane,
  type GreyPlane, type MotionConfig, type MotionEvent, type MotionDetector, type MotionResult,
} from './motion/index.ts';
import { createTracker, defaultTrackerConfig, type Track, type Tracker, type TrackerConfig } from './track/index.ts';
import { planRegions, wholeFrameTiles, defaultRegionOptions } from './detect/regions.ts';
import type { DetectRunner } from './detect/runner.ts';
import { renderSnapshot, snapshotBoxes, type PersonAlert } from './alert/index.ts';

/** Per-camera settings; every field optional in input, defaults below. */
export interface CameraConfig {
  motion: MotionConfig;
  tracker: TrackerConfig;
  /** Least score for a detection to be reported (analyze output, frame events). */
  reportScore: number;
  /** Most regions searched per frame. */
  maxRegions: number;
  /**
   * Search the whole view at least this often (camera time, ms; 0: never): catches someone
   * who makes no motion and was missed when they arrived (during a lighting settle, say).
   */
  fullScanMs: number;
}

export const defaultCameraConfig: CameraConfig = {
  motion: defaultMotionConfig,
  tracker: defaultTrackerConfig,
  reportScore: 0.45,
  maxRegions: 4,
  fullScanMs: 60_000,
};

export interface CameraConfigInput {
  motion?: Partial<MotionConfig>;
  tracker?: Partial<TrackerConfig>;
  reportScore?: number;
  maxRegions?: number;
  fullScanMs?: number;
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
    fullScanMs: c.fullScanMs ?? defaultCameraConfig.fullScanMs,
  };
}

export interface StageTimings {
  /**
   * Time this frame's decode took (header check, JPEG to RGB): the wait for its pixels, or when
   * its decode had run on this thread before (libjpeg-turbo, started as the frame arrived) that
   * run's time. When sharp decoded it on libuv's threads during the previous frame's inference,
   * only the wait left: the decode's own time cannot be seen from JS then (its end waits for
   * the blocked thread).
   */
  decode: number;
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
  /** Source frame size. */
  width: number;
  height: number;
  timings: StageTimings;
}

export interface FrameInput {
  /** Capture time, epoch ms (drives tracking and the blinded timer). */
  ts: number;
  seq?: number;
  /** The frame as received: decoded once here, and the base of the alert snapshot. */
  jpeg?: Uint8Array;
  /** Pixels already decoded (video via ffmpeg, still images); used when there is no `jpeg`. */
  frame?: DecodedFrame;
  /** The decode of `jpeg`, already under way (see `startDecode`). */
  decoding?: Promise<DecodedFrame>;
  /** `still`: no motion history, search the whole image. */
  mode?: 'video' | 'still';
}

/**
 * Starts decoding a frame (a worker does so as the next frame arrives): libjpeg-turbo decodes
 * a camera JPEG on this thread in the next microtask; sharp, for the rest, on libuv's threads,
 * leaving this thread free meanwhile. The promise never rejects unobserved: `analyze` awaits
 * it and reports its error.
 */
export function startDecode(jpeg: Uint8Array, limits: DecodeLimits = defaultDecodeLimits): Promise<DecodedFrame> {
  const p = probeImage(jpeg, limits).then((probe) => decodeImage(jpeg, limits, probe));
  p.catch(() => undefined);
  return p;
}

const scaleBox = (b: Box, s: number): Box => [b[0] * s, b[1] * s, b[2] * s, b[3] * s];
const scaleRegion = (r: Region, s: number): Region => ({ x: r.x / s, y: r.y / s, size: r.size / s });

/**
 * One camera's pipeline state and its per-frame steps:
 * decode → motion (grey plane) → regions (motion ∪ expected tracks) → detect → track →
 * alerts with snapshots. Runs in a worker (or inline for the CLI).
 */
export class CameraAnalyzer {
  private readonly motion: MotionDetector;
  private readonly tracker: Tracker;
  private readonly config: CameraConfig;
  private lastFullScan = -Infinity;
  private plane?: GreyPlane;

  constructor(
    readonly cameraId: string,
    private readonly runner: DetectRunner,
    config: CameraConfigInput = {},
    private readonly limits: DecodeLimits = defaultDecodeLimits,
  ) {
    this.config = resolveCameraConfig(config);
    this.motion = createMotionDetector(this.config.motion);
    this.tracker = createTracker(this.config.tracker);
  }

  async analyze(input: FrameInput): Promise<FrameAnalysis> {
    const { ts, jpeg } = input;
    if (!jpeg && !input.frame) throw new KhoaError('KHOA_ERR_FRAME_INVALID', 'a frame needs a JPEG or decoded pixels');
    const n = this.runner.detector.inputSize;
    const still = input.mode === 'still';

    // One decode per frame (shrunk on load only past maxDecodeWidth), then motion on a small
    // greyscale plane made from those pixels. Measured here (vtest at 720p, sharp 0.35): full
    // decode 3.8-5.2 ms; DCT-scaled 1/2 is no cheaper (libjpeg's reduced IDCT has no SIMD path
    // and sharp always resizes after it), 1/4 and 1/8 cost 2.8 and 2.4 ms (entropy decoding
    // stays whole). So decoding at the scale the regions allow saves nothing below 1080p, and a
    // separate tiny decode for motion only pays on frames that are never searched; a plane made
    // from one source and then another would differ at edges and read as motion.
    let t = performance.now();
    const frame = input.frame ?? (await (input.decoding ?? startDecode(jpeg!, this.limits)));
    const W = frame.sourceWidth, H = frame.sourceHeight;
    const decodeMs = Math.max(performance.now() - t, frame.decodeMs ?? 0);
    let m: MotionResult | undefined;
    let motionMs = 0;
    if (!still) {
      t = performance.now();
      this.plane = toGreyPlane(frame, this.config.motion.planeHeight, this.plane);
      m = this.motion.update(this.plane, ts, W, H);
      motionMs = performance.now() - t;
    }

    // Where to look, in source pixels: motion and where tracked people should be now. The whole
    // frame for a still image, a camera's first frame and then every fullScanMs (someone may
    // already stand there, and a still person makes no motion), and right after a lighting
    // change (a person may have caused it).
    const periodic = this.config.fullScanMs > 0 && ts - this.lastFullScan >= this.config.fullScanMs;
    const wholeFrame = still || periodic || m?.events.includes('recalibrated');
    if (wholeFrame) this.lastFullScan = ts;
    const regions = wholeFrame
      ? wholeFrameTiles(W, H)
      : m?.blinded
        ? []
        : planRegions([...(m?.boxes ?? []), ...this.tracker.expectedBoxes(ts)], W, H, { ...defaultRegionOptions, inputSize: n, maxRegions: this.config.maxRegions });

    let candidates: Detection[] = [];
    let detectMs = 0, inferMs = 0;
    if (regions.length > 0) {
      t = performance.now();
      const found = await this.runner.detect(frame, regions.map((r) => scaleRegion(r, frame.scale)));
      candidates = found.detections.map((d) => ({ ...d, box: scaleBox(d.box, frame.scale) }));
      detectMs = performance.now() - t;
      inferMs = found.inferMs;
    }

    t = performance.now();
    const { tracks, alerts } = this.tracker.update(candidates, ts, W, H);
    const trackMs = performance.now() - t;

    t = performance.now();
    const personAlerts: PersonAlert[] = [];
    if (alerts.length > 0) {
      // One picture for every alert of this frame (see snapshotBoxes). On the decoded pixels when
      // they are the source's own (no second decode); on the JPEG as received when the decode
      // was shrunk, so the snapshot keeps the camera's resolution.
      const boxes = snapshotBoxes(tracks, alerts, ts);
      const snapshot = jpeg && frame.scale !== 1
        ? await renderSnapshot({ jpeg, width: W, height: H }, boxes)
        : await renderSnapshot({ raw: frame }, boxes.map((b) => ({ ...b, box: scaleBox(b.box, 1 / frame.scale) })));
      for (const a of alerts) {
        personAlerts.push({ cameraId: this.cameraId, trackId: a.id, score: a.score, box: a.box, ts, ...(input.seq !== undefined && { seq: input.seq }), snapshot });
      }
    }
    const snapshotMs = performance.now() - t;

    return {
      motion: still || (m?.boxes.length ?? 0) > 0,
      motionBoxes: m?.boxes ?? [],
      regions,
      detections: candidates.filter((d) => d.score >= this.config.reportScore),
      tracks,
      alerts: personAlerts,
      events: m?.events ?? [],
      blinded: m?.blinded ?? false,
      width: W,
      height: H,
      timings: { decode: decodeMs, motion: motionMs, detect: detectMs, infer: inferMs, track: trackMs, snapshot: snapshotMs },
    };
  }

  /** Bytes of per-camera state (motion planes; tracks are a few objects). */
  memoryBytes(): number {
    return this.motion.memoryBytes();
  }
}
