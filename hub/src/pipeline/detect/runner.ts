import type { Box, Detection, Region, RgbImage } from '../types.ts';
import type { Detector } from './index.ts';
import { regionToTensor } from './preprocess.ts';
import { nms, overlapOfSmaller } from './boxes.ts';
import { toFramePixels } from './regions.ts';

export interface RegionDetections {
  /** Every region's detections in frame pixels, merged across regions by NMS. */
  detections: Detection[];
  /** Time spent sampling regions into the input tensor, and in the model with decoding, ms. */
  prepareMs: number;
  inferMs: number;
}

/** The box ends at an edge of its region that lies inside the frame: the object probably goes on beyond it. */
function isCut(b: Box, r: Region, w: number, h: number): boolean {
  const tol = 0.02 * r.size;
  return (r.x > 0 && b[0] <= r.x + tol) || (r.y > 0 && b[1] <= r.y + tol) || (r.x + r.size < w && b[2] >= r.x + r.size - tol) || (r.y + r.size < h && b[3] >= r.y + r.size - tol);
}

/**
 * Runs a detector on regions of a frame as one batch. Owns the input tensor (reused, so a
 * frame allocates nothing large) and serialises callers, because the tensor is shared by
 * every camera of a worker.
 */
export class DetectRunner {
  private buffer: Float32Array;
  private capacity: number;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly detector: Detector, maxBatch = 4) {
    this.capacity = maxBatch;
    this.buffer = detector.allocate(maxBatch);
  }

  detect(img: RgbImage, regions: Region[], iouThreshold = 0.5): Promise<RegionDetections> {
    const run = this.tail.then(() => this.run(img, regions, iouThreshold));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async run(img: RgbImage, regions: Region[], iouThreshold: number): Promise<RegionDetections> {
    if (regions.length === 0) return { detections: [], prepareMs: 0, inferMs: 0 };
    if (regions.length > this.capacity) {
      this.capacity = regions.length;
      this.buffer = this.detector.allocate(this.capacity);
    }
    const n = this.detector.inputSize;
    const t0 = performance.now();
    regions.forEach((r, k) => regionToTensor(img, r, n, this.detector.normalisation, this.buffer, k * 3 * n * n));
    const t1 = performance.now();
    const perRegion = await this.detector.detect(this.buffer, regions.length);
    const t2 = performance.now();
    const all = perRegion.flatMap((dets, k) =>
      toFramePixels(dets, regions[k]!, n, img.width, img.height).map((d) => ({ ...d, cut: isCut(d.box, regions[k]!, img.width, img.height) })),
    );
    if (regions.length === 1) return { detections: all.map(({ cut: _cut, ...d }) => d), prepareMs: t1 - t0, inferMs: t2 - t1 };
    // Across regions: a person cut by one region's edge gives way to the same person seen
    // whole in another; then the same person seen twice keeps the better box.
    const whole = all.filter((d) => !d.cut);
    const kept = all.filter((d) => !d.cut || !whole.some((w) => w.label === d.label && overlapOfSmaller(w.box, d.box) >= 0.5));
    const detections = nms(kept, iouThreshold, 0.8).map(({ cut: _cut, ...d }) => d);
    return { detections, prepareMs: t1 - t0, inferMs: t2 - t1 };
  }
}
