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
 * Shrinks an RGB frame to a greyscale plane by averaging each f×f block (luma weights
 * 77/150/29 ≈ BT.601, in integers); for f ≥ 4 every other pixel of the block, which keeps
 * the noise averaging at a quarter of the cost. Averaging, not single samples, so sensor
 * noise and JPEG blocking mostly cancel before differencing. `into` is reused between frames.
 */
export function toGreyPlane(img: RgbImage, targetHeight: number, into?: GreyPlane): GreyPlane {
  const f = planeFactor(img.height, targetHeight);
  const { width: w, height: h } = planeSize(img.width, img.height, targetHeight);
  const out = into && into.width === w && into.height === h && into.factor === f ? into : { data: new Uint8Array(w * h), width: w, height: h, factor: f };
  const src = img.data;
  const stride = img.width * 3;
  const step = f >= 4 ? 2 : 1;
  const n = Math.ceil(f / step) ** 2;
  const div = n * 256; // luma weights sum to 256
  for (let py = 0; py < h; py++) {
    const row = py * w;
    for (let px = 0; px < w; px++) {
      let acc = 0;
      for (let dy = 0; dy < f; dy += step) {
        let p = (py * f + dy) * stride + px * f * 3;
        for (let dx = 0; dx < f; dx += step, p += 3 * step) acc += 77 * src[p]! + 150 * src[p + 1]! + 29 * src[p + 2]!;
      }
      out.data[row + px] = acc / div;
    }
  }
  return out;
}
