import type { Region, RgbImage } from '../types.ts';

/** Per-channel normalisation in the model's channel order: (pixel - mean) / std. */
export interface Normalisation {
  /** `bgr` feeds channel 0 from blue, as NanoDet was trained (OpenCV order). */
  order: 'bgr' | 'rgb';
  mean: [number, number, number];
  std: [number, number, number];
}

/**
 * Samples a square region of an RGB image straight into a planar float tensor
 * (one [3, n, n] slice of an NCHW batch at `offset`), normalised. One pass, no
 * intermediate image: this runs for every region of every frame.
 *
 * Enlarging or shrinking by less than 2x is bilinear with half-pixel centres (what
 * cv2.resize does upstream); shrinking by 2x or more averages a k×k block around
 * each sample so fine texture does not alias into false shapes. Pixels of the region
 * outside the frame get the mean, i.e. 0 after normalisation (like letterbox padding).
 */
export function regionToTensor(img: RgbImage, region: Region, n: number, norm: Normalisation, out: Float32Array, offset: number): void {
  const scale = region.size / n;
  const plane = n * n;
  const bgr = norm.order === 'bgr';
  const m0 = norm.mean[0], m1 = norm.mean[1], m2 = norm.mean[2];
  const s0 = 1 / norm.std[0], s1 = 1 / norm.std[1], s2 = 1 / norm.std[2];
  const { data, width: W, height: H } = img;
  const stride = W * 3;

  if (scale === 1 && Number.isInteger(region.x) && Number.isInteger(region.y)) {
    // A region of the model's own size on whole pixels (the smallest region, round anyone up
    // to 320 px tall, and every motion region of a 360p frame): the bilinear weights below are exactly 1 and 0,
    // so each output is its source pixel. Copied as such: the same values (checked on 600
    // regions) in 0.9-1.6 against 2.0-3.8 ms for a 416 square.
    const { x, y } = region;
    const c0 = bgr ? 2 : 0, c2 = 2 - c0; // source byte of the model's first and last channel
    const first = Math.max(0, -x), end = Math.min(n, W - x); // output columns inside the frame
    for (let oy = 0; oy < n; oy++) {
      const sy = y + oy;
      const row = offset + oy * n;
      if (sy < 0 || sy >= H || first >= end) {
        out.fill(0, row, row + n); out.fill(0, row + plane, row + plane + n); out.fill(0, row + 2 * plane, row + 2 * plane + n);
        continue;
      }
      if (first > 0 || end < n) {
        for (const at of [row, row + plane, row + 2 * plane]) { out.fill(0, at, at + first); out.fill(0, at + end, at + n); }
      }
      for (let o = row + first, last = row + end, p = sy * stride + (x + first) * 3; o < last; o++, p += 3) {
        out[o] = (data[p + c0]! - m0) * s0;
        out[o + plane] = (data[p + 1]! - m1) * s1;
        out[o + 2 * plane] = (data[p + c2]! - m2) * s2;
      }
    }
    return;
  }

  if (scale < 2) {
    // Column lookup tables: left source column, weight of the right one, or -1 when outside.
    const xa = new Int32Array(n), xb = new Int32Array(n), xw = new Float32Array(n);
    for (let ox = 0; ox < n; ox++) {
      const sx = region.x + (ox + 0.5) * scale - 0.5;
      if (sx < -0.5 || sx > W - 0.5) { xa[ox] = -1; continue; }
      const fx = Math.floor(sx);
      xa[ox] = Math.max(0, fx) * 3;
      xb[ox] = Math.min(W - 1, fx + 1) * 3;
      xw[ox] = sx - fx;
    }
    for (let oy = 0; oy < n; oy++) {
      const sy = region.y + (oy + 0.5) * scale - 0.5;
      const row = offset + oy * n;
      if (sy < -0.5 || sy > H - 0.5) {
        out.fill(0, row, row + n); out.fill(0, row + plane, row + plane + n); out.fill(0, row + 2 * plane, row + 2 * plane + n);
        continue;
      }
      const fy = Math.floor(sy);
      const ra = Math.max(0, fy) * stride, rb = Math.min(H - 1, fy + 1) * stride;
      const wy = sy - fy, wy1 = 1 - wy;
      for (let ox = 0; ox < n; ox++) {
        const a = xa[ox]!;
        const o = row + ox;
        if (a < 0) { out[o] = 0; out[o + plane] = 0; out[o + 2 * plane] = 0; continue; }
        const b = xb[ox]!, wx = xw[ox]!, wx1 = 1 - wx;
        const w00 = wx1 * wy1, w01 = wx * wy1, w10 = wx1 * wy, w11 = wx * wy;
        const p00 = ra + a, p01 = ra + b, p10 = rb + a, p11 = rb + b;
        // Per byte of the pixel at constant offsets, then swapped into the model's order (as below).
        const vr = data[p00]! * w00 + data[p01]! * w01 + data[p10]! * w10 + data[p11]! * w11;
        const vg = data[p00 + 1]! * w00 + data[p01 + 1]! * w01 + data[p10 + 1]! * w10 + data[p11 + 1]! * w11;
        const vb = data[p00 + 2]! * w00 + data[p01 + 2]! * w01 + data[p10 + 2]! * w10 + data[p11 + 2]! * w11;
        const v0 = bgr ? vb : vr, v1 = vg, v2 = bgr ? vr : vb;
        out[o] = (v0 - m0) * s0;
        out[o + plane] = (v1 - m1) * s1;
        out[o + 2 * plane] = (v2 - m2) * s2;
      }
    }
    return;
  }

  // Block average: k×k source pixels per output pixel, centred on its sample point.
  const k = Math.floor(scale);
  const inv = 1 / (k * k);
  const xs = new Int32Array(n);
  for (let ox = 0; ox < n; ox++) {
    const cx = region.x + (ox + 0.5) * scale;
    xs[ox] = cx < 0 || cx >= W ? -1 : Math.min(W - k, Math.max(0, Math.round(cx - k / 2))) * 3;
  }
  for (let oy = 0; oy < n; oy++) {
    const cy = region.y + (oy + 0.5) * scale;
    const row = offset + oy * n;
    if (cy < 0 || cy >= H) {
      out.fill(0, row, row + n); out.fill(0, row + plane, row + plane + n); out.fill(0, row + 2 * plane, row + 2 * plane + n);
      continue;
    }
    const r0 = Math.min(H - k, Math.max(0, Math.round(cy - k / 2))) * stride;
    const r1 = r0 + stride, r2 = r1 + stride;
    // k = 2 and 3 (720p to 1080p frames, regions up to the whole view) spelt out: the short
    // inner loops cost more than their loads (3.6 against 2.1 ms for a 1280 square at 720p),
    // and sums per byte of the pixel (constant offsets) then swapped into the model's channel
    // order save another 0.2 ms. Sums are integers: the order of adding changes no value.
    for (let ox = 0; ox < n; ox++) {
      const x0 = xs[ox]!;
      const o = row + ox;
      if (x0 < 0) { out[o] = 0; out[o + plane] = 0; out[o + 2 * plane] = 0; continue; }
      let r: number, g: number, b: number;
      if (k === 3) {
        const p = r0 + x0, q = r1 + x0, t = r2 + x0;
        r = data[p]! + data[p + 3]! + data[p + 6]! + data[q]! + data[q + 3]! + data[q + 6]! + data[t]! + data[t + 3]! + data[t + 6]!;
        g = data[p + 1]! + data[p + 4]! + data[p + 7]! + data[q + 1]! + data[q + 4]! + data[q + 7]! + data[t + 1]! + data[t + 4]! + data[t + 7]!;
        b = data[p + 2]! + data[p + 5]! + data[p + 8]! + data[q + 2]! + data[q + 5]! + data[q + 8]! + data[t + 2]! + data[t + 5]! + data[t + 8]!;
      } else if (k === 2) {
        const p = r0 + x0, q = r1 + x0;
        r = data[p]! + data[p + 3]! + data[q]! + data[q + 3]!;
        g = data[p + 1]! + data[p + 4]! + data[q + 1]! + data[q + 4]!;
        b = data[p + 2]! + data[p + 5]! + data[q + 2]! + data[q + 5]!;
      } else {
        r = 0; g = 0; b = 0;
        for (let dy = 0, p0 = r0 + x0; dy < k; dy++, p0 += stride) {
          for (let dx = 0, p = p0; dx < k; dx++, p += 3) {
            r += data[p]!; g += data[p + 1]!; b += data[p + 2]!;
          }
        }
      }
      const a0 = bgr ? b : r, a1 = g, a2 = bgr ? r : b;
      out[o] = (a0 * inv - m0) * s0;
      out[o + plane] = (a1 * inv - m1) * s1;
      out[o + 2 * plane] = (a2 * inv - m2) * s2;
    }
  }
}
