import type { RgbImage } from '../types.ts';

/** A small greyscale image (one byte per pixel) that motion detection works on. */
export interface GreyPlane {
  data: Uint8Array;
  width: number;
  height: number;
  /** Frame pixels per plane pixel. */
  factor: number;
}

/** Integer shrink factor that brings a frame of height `h` to about `target` rows. */
export function planeFactor(h: number, target: number): number {
  return Math.max(1, Math.round(h / target));
}

/** Size of the motion plane for a frame: the same whether it is made from a JPEG or from RGB. */
export function planeSize(w: number, h: number, target: number): { width: number; height: number } {
  const f = planeFactor(h, target);
  return { width: Math.max(1, Math.floor(w / f)), height: Math.max(1, Math.floor(h / f)) };
}

/**
 * Shrinks an RGB frame to a greyscale plane by averaging f×f blocks (luma weights
 * 77/150/29 ≈ BT.601, in integers). Averaging, not sampling, so sensor noise and JPEG
 * blocking mostly cancel before differencing. `into` is reused between frames.
 */
export function toGreyPlane(img: RgbImage, targetHeight: number, into?: GreyPlane): GreyPlane {
  const f = planeFactor(img.height, targetHeight);
  const w = Math.floor(img.width / f);
  const h = Math.floor(img.height / f);
  const out = into && into.width === w && into.height === h && into.factor === f ? into : { data: new Uint8Array(w * h), width: w, height: h, factor: f };
  const src = img.data;
  const stride = img.width * 3;
  const sums = new Uint32Array(w);
  const shift = 8; // luma weights sum to 256
  const div = f * f;
  for (let py = 0; py < h; py++) {
    sums.fill(0);
    for (let dy = 0; dy < f; dy++) {
      let p = (py * f + dy) * stride;
      for (let px = 0; px < w; px++) {
        let acc = 0;
        for (let dx = 0; dx < f; dx++, p += 3) acc += 77 * src[p]! + 150 * src[p + 1]! + 29 * src[p + 2]!;
        sums[px]! += acc;
      }
    }
    const row = py * w;
    for (let px = 0; px < w; px++) out.data[row + px] = (sums[px]! >> shift) / div;
  }
  return out;
}
