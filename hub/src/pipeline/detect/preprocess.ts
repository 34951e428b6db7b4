import { KhoaError } from '@khoa/protocol';
import type { Region, RgbImage } from '../types.ts';
import { reserve, samplingKernels, type SamplingKernels } from '../kernels/load.ts';

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
 *
 * The copy and block-average loops are WebAssembly (kernels/sampling.wat): the region's rows
 * are copied into the kernels' memory, each output row is one kernel call, and the [3, n, n]
 * result is copied out. The values are those of the JS loops they replaced (same integer
 * sums, same f64 arithmetic in the same order: equal on 900 random regions). Medians over
 * those regions here: copied 416 squares 0.93 to 0.49 ms at 720p, block-averaged regions
 * (832-2032 px) 1.34 to 0.67 ms at 720p and 1.99 to 1.15 ms at 1080p.
 */
export function regionToTensor(img: RgbImage, region: Region, n: number, norm: Normalisation, out: Float32Array, offset: number): void {
  const scale = region.size / n;
  if (scale === 1 && Number.isInteger(region.x) && Number.isInteger(region.y)) copyRegion(img, region, n, norm, out, offset);
  else if (scale < 2) bilinear(img, region, n, norm, out, offset);
  else blockAverage(img, region, n, norm, out, offset);
}

const align16 = (v: number): number => (v + 15) & ~15;

/** Model channel 0 and 2 as byte offsets within a source pixel, then mean and 1/std per channel. */
const channels = (norm: Normalisation): [number, number, number, number, number, number, number, number] => {
  const c0 = norm.order === 'bgr' ? 2 : 0;
  return [c0, 2 - c0, norm.mean[0], norm.mean[1], norm.mean[2], 1 / norm.std[0], 1 / norm.std[1], 1 / norm.std[2]];
};

/**
 * The kernels' memory for one region: the source rows [top, bottom) copied to offset 0 (+16
 * bytes that 16-byte loads may read past the last), `scratch` bytes of lookup tables at
 * `tables`, then the [3, n, n] output at `output`.
 */
function stage(k: SamplingKernels, img: RgbImage, top: number, bottom: number, scratch: number, n: number) {
  const stride = img.width * 3;
  const rowBytes = Math.max(0, bottom - top) * stride;
  const tables = align16(rowBytes + 16);
  const output = align16(tables + scratch);
  const buffer = reserve(k, output + 12 * n * n);
  if (rowBytes > 0) new Uint8Array(buffer).set(img.data.subarray(top * stride, bottom * stride), 0);
  return { buffer, tables, output, tensor: new Float32Array(buffer, output, 3 * n * n) };
}

/** Zeros output row `oy` (columns [from, to)) in the three planes of the [3, n, n] slice at `offset`. */
function zeroRow(out: Float32Array, offset: number, n: number, oy: number, from = 0, to = n): void {
  const plane = n * n;
  for (let c = 0; c < 3; c++) out.fill(0, offset + c * plane + oy * n + from, offset + c * plane + oy * n + to);
}

/**
 * A region of the model's own size on whole pixels (the smallest region, round anyone up to
 * 320 px tall, and every motion region of a 360p frame): each output is its source pixel.
 */
function copyRegion(img: RgbImage, region: Region, n: number, norm: Normalisation, out: Float32Array, offset: number): void {
  const { width: W, height: H } = img;
  const { x, y } = region;
  const first = Math.max(0, -x), end = Math.min(n, W - x); // output columns inside the frame
  const top = Math.max(0, y), bottom = first < end ? Math.min(H, y + n) : top;
  const kernels = samplingKernels();
  const { tensor, output } = stage(kernels, img, top, bottom, 0, n);
  const [c0, c2, m0, m1, m2, s0, s1, s2] = channels(norm);
  const stride = W * 3;
  for (let oy = 0; oy < n; oy++) {
    const sy = y + oy;
    if (sy < top || sy >= bottom) { zeroRow(tensor, 0, n, oy); continue; }
    if (first > 0) zeroRow(tensor, 0, n, oy, 0, first);
    if (end < n) zeroRow(tensor, 0, n, oy, end, n);
    kernels.copyRow((sy - top) * stride + (x + first) * 3, first, end, output + 4 * oy * n, 4 * n * n, c0, c2, m0, m1, m2, s0, s1, s2);
  }
  out.set(tensor, offset);
}

/**
 * Scale below 2: bilinear with half-pixel centres. Left in JS: a WebAssembly version of this
 * loop (same arithmetic, scalar: four source pixels with their own weights per output pixel
 * leave nothing for 16-byte loads) measured 5% slower.
 */
function bilinear(img: RgbImage, region: Region, n: number, norm: Normalisation, out: Float32Array, offset: number): void {
  const scale = region.size / n;
  const plane = n * n;
  const bgr = norm.order === 'bgr';
  const m0 = norm.mean[0], m1 = norm.mean[1], m2 = norm.mean[2];
  const s0 = 1 / norm.std[0], s1 = 1 / norm.std[1], s2 = 1 / norm.std[2];
  const { data, width: W, height: H } = img;
  const stride = W * 3;
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
      zeroRow(out, offset, n, oy);
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
      // Per byte of the pixel at constant offsets, then swapped into the model's order.
      const vr = data[p00]! * w00 + data[p01]! * w01 + data[p10]! * w10 + data[p11]! * w11;
      const vg = data[p00 + 1]! * w00 + data[p01 + 1]! * w01 + data[p10 + 1]! * w10 + data[p11 + 1]! * w11;
      const vb = data[p00 + 2]! * w00 + data[p01 + 2]! * w01 + data[p10 + 2]! * w10 + data[p11 + 2]! * w11;
      const v0 = bgr ? vb : vr, v1 = vg, v2 = bgr ? vr : vb;
      out[o] = (v0 - m0) * s0;
      out[o + plane] = (v1 - m1) * s1;
      out[o + 2 * plane] = (v2 - m2) * s2;
    }
  }
}

/**
 * Scale 2 or more: the mean of the k×k block round each sample point; k rows summed per
 * column 16 bytes at a time, then k columns per channel.
 */
function blockAverage(img: RgbImage, region: Region, n: number, norm: Normalisation, out: Float32Array, offset: number): void {
  const { width: W, height: H } = img;
  const stride = W * 3;
  const scale = region.size / n;
  const k = Math.floor(scale);
  if (k > 257) throw new KhoaError('KHOA_ERR_FRAME_INVALID', `region ${region.size} px is too large to sample into ${n} px`, { size: region.size, n });

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

  // Tables: the column sums of one output row's k source rows, then the block starts.
  const kernels = samplingKernels();
  const sumsBytes = align16(2 * (span + 16));
  const { buffer, tables, output, tensor } = stage(kernels, img, Math.min(top, bottom), bottom, sumsBytes + 4 * n, n);
  const starts = tables + sumsBytes;
  const startView = new Int32Array(buffer, starts, n);
  for (let ox = 0; ox < n; ox++) startView[ox] = xs[ox]! < 0 ? -1 : xs[ox]! - first;
  const [c0, c2, m0, m1, m2, s0, s1, s2] = channels(norm);
  const inv = 1 / (k * k);
  for (let oy = 0; oy < n; oy++) {
    const r = rows[oy]!;
    if (r < 0) { zeroRow(tensor, 0, n, oy); continue; }
    kernels.columnSums((r - top) * stride + first, stride, k, span, tables);
    kernels.blockRow(tables, starts, n, k, output + 4 * oy * n, 4 * n * n, c0, c2, inv, m0, m1, m2, s0, s1, s2);
  }
  out.set(tensor, offset);
}
