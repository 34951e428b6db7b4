import type { Box, Polygon } from '../types.ts';
import type { GreyPlane } from './plane.ts';

/** Per-camera motion options (validated by the pipeline's settings schema). */
export interface MotionConfig {
  /** 0 (only big, strong changes) .. 1 (small, faint ones). */
  sensitivity: number;
  /** Rows of the greyscale plane motion runs on. */
  planeHeight: number;
  /** Background learning rate per frame (0..1); higher forgets stopped objects sooner. */
  learningRate: number;
  /** Share of the (unmasked) plane that may change at once before it counts as a lighting change. */
  globalChangeFraction: number;
  /** Frames after a lighting change during which the background just follows the image (auto-exposure settling). */
  settleFrames: number;
  /** Spatial standard deviation (grey levels) under which the view counts as flat (covered, blinded, black). */
  blindedStdDev: number;
  /** How long the view must stay flat before the camera is reported blinded. */
  blindedAfterMs: number;
  /** Areas to ignore (trees, a TV, the street). */
  masks: Polygon[];
}

export const defaultMotionConfig: MotionConfig = {
  sensitivity: 0.5,
  planeHeight: 160,
  learningRate: 0.08,
  globalChangeFraction: 0.45,
  settleFrames: 3,
  blindedStdDev: 6,
  blindedAfterMs: 5000,
  masks: [],
};

export type MotionEvent = 'recalibrated' | 'blinded' | 'unblinded';

export interface MotionResult {
  /** Changed areas in frame pixels, merged when they overlap. */
  boxes: Box[];
  /** Share of unmasked plane pixels that changed. */
  changedFraction: number;
  /** Things the camera's owner may want to know: lighting changes, a covered lens. */
  events: MotionEvent[];
  blinded: boolean;
}

/** Finds moving areas in a camera's frames. One instance per camera: it holds the background. */
export interface MotionDetector {
  /**
   * Feeds the next frame's greyscale plane (see plane.ts: made from the JPEG by the decoder
   * or from RGB pixels); boxes come back in pixels of a frame `width` x `height`.
   * `ts` in ms drives the blinded timer.
   */
  update(plane: GreyPlane, ts: number, width: number, height: number): MotionResult;
  /** Bytes held for this camera (background, buffers). */
  memoryBytes(): number;
}

export { createMotionDetector } from './detector.ts';
export { toGreyPlane, planeSize, type GreyPlane } from './plane.ts';
