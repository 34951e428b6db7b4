import sharp from 'sharp';
import type { Box, RgbImage } from '../types.ts';

export interface SnapshotBox {
  box: Box;
  label: string;
  /** Drawn in the alert colour; other boxes are drawn thinner, for context. */
  primary: boolean;
}

const esc = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const PRIMARY: readonly [number, number, number] = [0xff, 0x2d, 0x2d];
const CONTEXT: readonly [number, number, number] = [0xff, 0xd4, 0x00];

/** Line width and caption size for a picture of this size. */
function penFor(width: number, height: number): { stroke: number; font: number } {
  return { stroke: Math.max(2, Math.round(Math.min(width, height) / 200)), font: Math.max(12, Math.round(height / 30)) };
}

/** Fills a rectangle of an RGB picture, clipped to it. */
function fill(rgb: Uint8Array, width: number, height: number, x1: number, y1: number, x2: number, y2: number, c: readonly [number, number, number]): void {
  const xa = Math.max(0, Math.floor(x1)), xb = Math.min(width, Math.ceil(x2));
  const ya = Math.max(0, Math.floor(y1)), yb = Math.min(height, Math.ceil(y2));
  for (let y = ya; y < yb; y++) {
    for (let o = (y * width + xa) * 3, end = (y * width + xb) * 3; o < end; o += 3) {
      rgb[o] = c[0];
      rgb[o + 1] = c[1];
      rgb[o + 2] = c[2];
    }
  }
}

/** A box's outline, `w` pixels wide, inside and along its edges. */
function outline(rgb: Uint8Array, width: number, height: number, [x1, y1, x2, y2]: Box, w: number, c: readonly [number, number, number]): void {
  fill(rgb, width, height, x1, y1, x2, y1 + w, c);
  fill(rgb, width, height, x1, y2 - w, x2, y2, c);
  fill(rgb, width, height, x1, y1, x1 + w, y2, c);
  fill(rgb, width, height, x2 - w, y1, x2, y2, c);
}

/** An RGBA patch (a rendered caption): `width` x `height` pixels, rows `stride` pixels apart. */
interface Patch {
  data: Uint8Array;
  width: number;
  height: number;
  stride: number;
}

/** Blends an RGBA patch onto an RGB picture at (left, top), clipped. */
function blend(rgb: Uint8Array, width: number, height: number, patch: Patch, left: number, top: number): void {
  for (let py = 0; py < patch.height; py++) {
    const y = top + py;
    if (y < 0 || y >= height) continue;
    for (let px = 0; px < patch.width; px++) {
      const x = left + px;
      if (x < 0 || x >= width) continue;
      const p = (py * patch.stride + px) * 4;
      const a = patch.data[p + 3]! / 255;
      if (a === 0) continue;
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) rgb[o + k] = Math.round(patch.data[p + k]! * a + rgb[o + k]! * (1 - a));
    }
  }
}

/**
 * The captions as RGBA patches (librsvg for the Vietnamese text), and where they go. All of a
 * picture's captions are one SVG, stacked, each in its own nested viewport (clipped to its own
 * size, as when rendered alone): one librsvg run instead of one per box (1.7 ms each at 720p).
 */
async function captions(boxes: SnapshotBox[], pen: { font: number }): Promise<{ patch: Patch; left: number; top: number }[]> {
  if (boxes.length === 0) return [];
  const h = pen.font + 6;
  const sized = boxes.map((b) => ({ b, w: Math.ceil(b.label.length * pen.font * 0.65) + 4 }));
  const W = Math.max(...sized.map((c) => c.w));
  const texts = sized.map(({ b, w }, i) => {
    const hex = `#${(b.primary ? PRIMARY : CONTEXT).map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    return `<svg x="0" y="${i * h}" width="${w}" height="${h}"><text x="2" y="${pen.font}" font-family="sans-serif" font-size="${pen.font}" fill="${hex}" stroke="#000" stroke-width="0.6">${esc(b.label)}</text></svg>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h * boxes.length}">${texts.join('')}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return sized.map(({ b, w }, i) => {
    const [x1, y1] = b.box;
    // Above the box when there is room, else inside it at the top.
    const top = y1 > h ? Math.round(y1 - h) : Math.round(y1);
    const patch = { data: data.subarray(i * h * info.width * 4), width: Math.min(w, info.width), height: Math.min(h, info.height - i * h), stride: info.width };
    return { patch, left: Math.round(x1), top };
  });
}

/**
 * The alert's picture: the frame as received (JPEG) or as decoded (raw RGB: from a video file,
 * or the worker's own full-size decode, which saves decoding the JPEG again) with the boxes
 * drawn, re-encoded as JPEG. Boxes are in the picture's pixels.
 *
 * Lines are drawn into the pixels here and only the captions go through librsvg: compositing
 * an overlay in sharp made a pass over the whole picture (12 of 32 ms at 1280x720), and a
 * snapshot is on the detector worker's path, between two frames.
 */
export async function renderSnapshot(source: { jpeg: Uint8Array; width: number; height: number } | { raw: RgbImage }, boxes: SnapshotBox[], quality = 80): Promise<Buffer> {
  let rgb: Uint8Array, width: number, height: number;
  if ('jpeg' in source) {
    const { data, info } = await sharp(source.jpeg, { failOn: 'none' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    [rgb, width, height] = [data, info.width, info.height];
  } else {
    // A copy (the typed-array constructor copies; a Buffer's slice would not): the worker's
    // decode buffer is its own, and may be reused for the next frame.
    [rgb, width, height] = [new Uint8Array(source.raw.data), source.raw.width, source.raw.height];
  }
  const pen = penFor(width, height);
  const labels = await captions(boxes.filter((b) => b.label), pen);
  // Context boxes first, so the alert's own box is drawn over any it crosses.
  for (const b of [...boxes].sort((a, b2) => Number(a.primary) - Number(b2.primary))) {
    outline(rgb, width, height, b.box, b.primary ? pen.stroke : Math.max(1, pen.stroke >> 1), b.primary ? PRIMARY : CONTEXT);
  }
  for (const c of labels) blend(rgb, width, height, c.patch, c.left, c.top);
  // optimiseCoding (a second pass for Huffman tables) saved a few per cent of the file but
  // doubled the encode: 12.8 against 4.5 ms at 1280x720.
  return sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality, mozjpeg: false, optimiseCoding: false }).toBuffer();
}
