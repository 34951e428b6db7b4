import type { CameraGateConfig } from '@khoa/protocol';
import type { CameraFrame } from '../types.ts';
import { greyPlane, type GreyPlane } from './grey-plane.ts';
import { motionBoxes } from './motion-boxes.ts';

/** What the gate decided about one frame. */
export interface GateDecision {
  send: boolean;
  motion: boolean;
  /** Sent because the keyframe interval ran out (or the first frame after a (re)connect). */
  keyframe: boolean;
  /** Motion boxes in frame pixels. */
  boxes: [number, number, number, number][];
  /** The camera is judged covered or blind (after `blindedAfterSec` of dark or flat frames). */
  blinded: boolean;
  /** Share of plane pixels that differ from the background. */
  changed: number;
  mean: number;
  std: number;
}

/**
 * The edge's cheap motion check: a small greyscale plane per frame against a running-average
 * background. It decides which frames cross the network; the hub re-checks with its own
 * detector, so the gate errs on the side of sending.
 */
export class MotionGate {
  private background: Float32Array | undefined;
  private bgWidth = 0;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private lastMotionAt = Number.NEGATIVE_INFINITY;
  private blindSince: number | undefined;
  private blinded = false;
  private forceKeyframe = true;

  constructor(private readonly cfg: CameraGateConfig) {}

  /** Forget the background and send the next frame as a keyframe (after a reconnect the view may differ). */
  reset(): void {
    this.background = undefined;
    this.forceKeyframe = true;
  }

  async judge(frame: CameraFrame): Promise<GateDecision> {
    const plane = await greyPlane(frame.jpeg, this.cfg.planeWidth);
    return this.judgePlane(plane, frame);
  }

  /** The decision for an already decoded plane (separate so tests can feed synthetic planes). */
  judgePlane(plane: GreyPlane, frame: Pick<CameraFrame, 'ts' | 'width' | 'height'>): GateDecision {
    const c = this.cfg;
    const n = plane.data.length;
    const { mean, std } = stats(plane.data);
    const wasBlinded = this.blinded;
    this.judgeBlinded(mean, std, frame.ts);

    let changed = 0;
    let motion = false;
    let boxes: [number, number, number, number][] = [];
    const bg = this.background;
    if (!bg || this.bgWidth !== plane.width || bg.length !== n) {
      this.background = Float32Array.from(plane.data);
      this.bgWidth = plane.width;
    } else {
      const mask = new Uint8Array(n);
      let count = 0;
      for (let i = 0; i < n; i++) {
        const d = (plane.data[i] as number) - (bg[i] as number);
        if (d > c.threshold || d < -c.threshold) {
          mask[i] = 1;
          count++;
        }
      }
      changed = count / n;
      if (changed >= c.globalChange) {
        // Lights on, IR cut filter switching, auto-exposure jump: the whole picture moved. Re-learn
        // the background now instead of reporting motion for the seconds the average needs.
        this.background = Float32Array.from(plane.data);
        motion = true;
      } else {
        motion = changed >= c.minArea && !this.blinded;
        if (motion) {
          const sx = frame.width / plane.width;
          const sy = frame.height / plane.height;
          boxes = motionBoxes(mask, plane.width, plane.height).map(([x1, y1, x2, y2]) => [
            Math.round(x1 * sx),
            Math.round(y1 * sy),
            Math.round(x2 * sx),
            Math.round(y2 * sy),
          ]);
        }
        const a = c.backgroundAlpha;
        for (let i = 0; i < n; i++) bg[i] = (bg[i] as number) + a * ((plane.data[i] as number) - (bg[i] as number));
      }
    }

    if (motion) this.lastMotionAt = frame.ts;
    const keyframe = this.forceKeyframe || frame.ts - this.lastSentAt >= c.keyframeIntervalSec * 1000 || this.blinded !== wasBlinded;
    const inPostMotion = frame.ts - this.lastMotionAt <= c.postMotionSec * 1000;
    const send = !c.enabled || motion || keyframe || inPostMotion;
    if (send) {
      this.lastSentAt = frame.ts;
      this.forceKeyframe = false;
    }
    return { send, motion, keyframe: keyframe && !motion, boxes, blinded: this.blinded, changed, mean, std };
  }

  private judgeBlinded(mean: number, std: number, ts: number): void {
    const c = this.cfg;
    // Hysteresis: leaving `blinded` needs a clearly lit, clearly textured picture, so noise
    // around the thresholds does not flap the retained state (and the hub's alerts).
    const bad = this.blinded ? mean < c.darkLevel * 1.5 || std < c.flatLevel * 1.5 : mean < c.darkLevel || std < c.flatLevel;
    if (bad) {
      this.blindSince ??= ts;
      if (ts - this.blindSince >= c.blindedAfterSec * 1000) this.blinded = true;
    } else {
      this.blindSince = undefined;
      this.blinded = false;
    }
  }
}

function stats(d: Uint8Array): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] as number;
    sum += v;
    sq += v * v;
  }
  const mean = sum / d.length;
  return { mean, std: Math.sqrt(Math.max(0, sq / d.length - mean * mean)) };
}
