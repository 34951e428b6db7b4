import sharp from 'sharp';
import type { Box, RgbImage } from '../types.ts';

export interface SnapshotBox {
  box: Box;
  label: string;
  /** Drawn in the alert colour; other boxes are drawn thinner, for context. */
  primary: boolean;
}

const esc = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** An SVG the size of the image with one rectangle and caption per box. */
export function overlaySvg(width: number, height: number, boxes: SnapshotBox[]): Buffer {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 200));
  const font = Math.max(12, Math.round(height / 30));
  const shapes = boxes.map(({ box: [x1, y1, x2, y2], label, primary }) => {
    const colour = primary ? '#ff2d2d' : '#ffd400';
    const w = Math.max(1, x2 - x1), h = Math.max(1, y2 - y1);
    const ty = y1 > font + 4 ? y1 - 4 : y1 + font;
    return `<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="none" stroke="${colour}" stroke-width="${primary ? stroke : Math.max(1, stroke >> 1)}"/>` +
      `<text x="${x1.toFixed(1)}" y="${ty.toFixed(1)}" font-family="sans-serif" font-size="${font}" fill="${colour}" stroke="#000" stroke-width="0.6">${esc(label)}</text>`;
  });
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`);
}

/**
 * The alert's picture: the frame as received (JPEG) or as decoded (raw RGB, e.g. from a
 * video file) with the boxes drawn, re-encoded as JPEG. Boxes are in the picture's pixels.
 */
export async function renderSnapshot(source: { jpeg: Uint8Array; width: number; height: number } | { raw: RgbImage }, boxes: SnapshotBox[], quality = 80): Promise<Buffer> {
  const base = 'jpeg' in source
    ? sharp(source.jpeg, { failOn: 'none' })
    : sharp(source.raw.data, { raw: { width: source.raw.width, height: source.raw.height, channels: 3 } });
  const [w, h] = 'jpeg' in source ? [source.width, source.height] : [source.raw.width, source.raw.height];
  return base.composite([{ input: overlaySvg(w, h, boxes), top: 0, left: 0 }]).jpeg({ quality, mozjpeg: false }).toBuffer();
}
