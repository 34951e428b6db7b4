import type { Box } from '../types.ts';

/**
 * Binary dilation by a (2r+1)² square, done as two separable running-count passes, so the
 * cost does not grow with r. Joins the fragments of one walker (legs, arms, head) into one blob.
 */
export function dilate(src: Uint8Array, dst: Uint8Array, w: number, h: number, r: number): void {
  if (r === 2 && w % 4 === 0 && src.byteOffset % 4 === 0 && dst.byteOffset % 4 === 0) return dilate2Words(src, dst, w, h);
  const tmp = new Uint8Array(src.length);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let run = 0;
    for (let x = 0; x < Math.min(r, w); x++) run += src[row + x]!;
    for (let x = 0; x < w; x++) {
      if (x + r < w) run += src[row + x + r]!;
      if (x - r - 1 >= 0) run -= src[row + x - r - 1]!;
      tmp[row + x] = run > 0 ? 1 : 0;
    }
  }
  for (let x = 0; x < w; x++) {
    let run = 0;
    for (let y = 0; y < Math.min(r, h); y++) run += tmp[y * w + x]!;
    for (let y = 0; y < h; y++) {
      if (y + r < h) run += tmp[(y + r) * w + x]!;
      if (y - r - 1 >= 0) run -= tmp[(y - r - 1) * w + x]!;
      dst[y * w + x] = run > 0 ? 1 : 0;
    }
  }
}

let wordTmp = new Uint32Array(0);

/**
 * `dilate` with r = 2 (what motion uses) on 0/1 bytes, four pixels per 32-bit word: a set
 * byte spreads to its neighbours by shifts, across word edges from the words either side,
 * and rows are ORed word by word. The same bits as the running counts, at a fifth of the
 * time (0.30 against 0.08 ms for a 256x144 plane): the counts walked each column down the
 * plane and touched every byte on its own. Needs rows of whole words (w % 4 == 0).
 */
function dilate2Words(src: Uint8Array, dst: Uint8Array, w: number, h: number): void {
  const words = w >> 2;
  const n = words * h;
  const s = new Uint32Array(src.buffer, src.byteOffset, n);
  const d = new Uint32Array(dst.buffer, dst.byteOffset, n);
  if (wordTmp.length < n) wordTmp = new Uint32Array(n);
  const t = wordTmp;
  // Little-endian: byte k of a word is pixel 4i + k, and << 8 moves every pixel one to the right.
  for (let y = 0; y < h; y++) {
    const row = y * words, end = row + words;
    let prev = 0;
    let cur = s[row]!;
    for (let i = row; i < end; i++) {
      const next = i + 1 < end ? s[i + 1]! : 0;
      t[i] = cur | (cur << 8) | (cur << 16) | (cur >>> 8) | (cur >>> 16) | (prev >>> 16) | (prev >>> 24) | (next << 16) | (next << 24);
      prev = cur;
      cur = next;
    }
  }
  for (let y = 0; y < h; y++) {
    const a = Math.max(0, y - 2) * words, b = Math.min(h - 1, y + 2) * words;
    for (let i = 0, o = y * words; i < words; i++, o++) {
      let v = 0;
      for (let q = a + i; q <= b + i; q += words) v |= t[q]!;
      d[o] = v;
    }
  }
}

/**
 * Connected 4-neighbour blobs of set pixels, as boxes [x1, y1, x2, y2) in plane pixels;
 * blobs smaller than `minArea` pixels (noise, rain, leaves at a distance) are dropped.
 * Iterative flood fill with a typed-array stack: no recursion, no per-pixel objects.
 * Clears `bits` as it goes.
 */
export function findBlobs(bits: Uint8Array, w: number, h: number, minArea: number, stack = new Int32Array(w * h)): Box[] {
  const boxes: Box[] = [];
  for (let start = 0; start < bits.length; start++) {
    if (!bits[start]) continue;
    let top = 0;
    stack[top++] = start;
    bits[start] = 0;
    let x1 = w, y1 = h, x2 = 0, y2 = 0, area = 0;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % w, y = (i - x) / w;
      area++;
      if (x < x1) x1 = x;
      if (x > x2) x2 = x;
      if (y < y1) y1 = y;
      if (y > y2) y2 = y;
      if (x > 0 && bits[i - 1]) { bits[i - 1] = 0; stack[top++] = i - 1; }
      if (x < w - 1 && bits[i + 1]) { bits[i + 1] = 0; stack[top++] = i + 1; }
      if (y > 0 && bits[i - w]) { bits[i - w] = 0; stack[top++] = i - w; }
      if (y < h - 1 && bits[i + w]) { bits[i + w] = 0; stack[top++] = i + w; }
    }
    if (area >= minArea) boxes.push([x1, y1, x2 + 1, y2 + 1]);
  }
  return boxes;
}

const touches = (a: Box, b: Box, gap: number): boolean =>
  a[0] - gap <= b[2] && b[0] - gap <= a[2] && a[1] - gap <= b[3] && b[1] - gap <= a[3];

/** Unions boxes that overlap or lie within `gap` of each other, until none do. */
export function mergeBoxes(input: Box[], gap = 0): Box[] {
  const boxes = input.map((b) => [...b] as Box);
  for (let merged = true; merged; ) {
    merged = false;
    for (let i = 0; i < boxes.length && !merged; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!, b = boxes[j]!;
        if (!touches(a, b, gap)) continue;
        boxes[i] = [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
        boxes.splice(j, 1);
        merged = true;
        break;
      }
  }
  return boxes;
}
