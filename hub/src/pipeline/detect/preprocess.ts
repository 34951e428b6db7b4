import { KhoaError } from '@khoa/protocol';
import type { Region, RgbImage } from '../types.ts';
import { reserve, samplingKernels } from '../kernels/load.ts';

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

  blockAverage(img, region, n, norm, out, offset);
}

/**
 * Shrinking by k = 2 or more: the mean of the k×k block round each sample point. In
 * WebAssembly (kernels/sampling.wat): the rows the region covers are copied into the kernels'
 * memory, k rows summed per column 16 bytes at a time, then k columns per channel. Same
 * values as the JS loop it replaced (integer sums, the same f64 arithmetic), in 0.8-1.1
 * against 1.5-2.0 ms for a 1000-1280 px square of a 720p frame.
 */
function blockAverage(img: RgbImage, region: Region, n: number, norm: Normalisation, out: Float32Array, offset: number): void {
  const { data, width: W, height: H } = img;
  const stride = W * 3;
  const scale = region.size / n;
  const k = Math.floor(scale);
  if (k > 257) throw new KhoaError('KHOA_ERR_FRAME_INVALID', `region ${region.size} px is too large to sample into ${n} px`, { size: region.size, n });
  const plane = n * n;
  const bgr = norm.order === 'bgr';

  // Each output pixel's block: first column (byte offset, -1 outside the frame) and first row.
  const xs = new Int32Array(n);
  let first = Infinity, end = 0;
  for (let ox = 0; ox < n; ox++) {
    const cx = region.x + (ox + 0.5) * scale;
    if (cx < 0 || cx >= W) { xs[ox] = -1; continue; }
    const b = Math.min(W - k, Math.max(0, Math.round(cx - k / 2))) * 3;
    xs[ox] = b;
    first = Math.min(first, b);
    end = Math.max(end, b + 3 * k);
  }
  const rows = new Int32Array(n);
  let top = H, bottom = 0;
  for (let oy = 0; oy < n; oy++) {
    const cy = region.y + (oy + 0.5) * scale;
    if (cy < 0 || cy >= H || end === 0) { rows[oy] = -1; continue; }
    const r = Math.min(H - k, Math.max(0, Math.round(cy - k / 2)));
    rows[oy] = r;
    top = Math.min(top, r);
    bottom = Math.max(bottom, r + k);
  }
  const span = end > 0 ? end - first : 0;

  // Layout: source rows (+16 bytes the 16-byte loads may read past the last), column sums,
  // block starts, then the [3, n, n] output.
  const kernels = samplingKernels();
  const rowBytes = Math.max(0, bottom - top) * stride;
  const SUMS = align16(rowBytes + 16);
  const XS = align16(SUMS + 2 * (span + 16));
  const OUT = align16(XS + 4 * n);
  const buffer = reserve(kernels, OUT + 12 * plane);
  const tensor = new Float32Array(buffer, OUT, 3 * plane);
  if (rowBytes > 0) {
    new Uint8Array(buffer).set(data.subarray(top * stride, bottom * stride), 0);
    const starts = new Int32Array(buffer, XS, n);
    for (let ox = 0; ox < n; ox++) starts[ox] = xs[ox]! < 0 ? -1 : xs[ox]! - first;
  }
  const inv = 1 / (k * k);
  const [m0, m1, m2] = norm.mean;
  for (let oy = 0; oy < n; oy++) {
    const r = rows[oy]!;
    if (r < 0) {
      tensor.fill(0, oy * n, oy * n + n); tensor.fill(0, plane + oy * n, plane + oy * n + n); tensor.fill(0, 2 * plane + oy * n, 2 * plane + oy * n + n);
      continue;
    }
    kernels.columnSums((r - top) * stride + first, stride, k, span, SUMS);
    kernels.blockRow(SUMS, XS, n, k, OUT + 4 * oy * n, 4 * plane, bgr ? 2 : 0, bgr ? 0 : 2, inv, m0, m1, m2, 1 / norm.std[0], 1 / norm.std[1], 1 / norm.std[2]);
  }
  out.set(tensor, offset);
}

const align16 = (v: number): number => (v + 15) & ~15;
