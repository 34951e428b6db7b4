import type { Box, Detection, Region } from '../types.ts';

export interface RegionOptions {
  /** Model input side: regions are never smaller, so small people keep their pixels. */
  inputSize: number;
  /** Margin around an object: the square side is this times the object's longer side. */
  margin: number;
  /** Most regions per frame; beyond that the closest ones are merged. */
  maxRegions: number;
}

export const defaultRegionOptions: Omit<RegionOptions, 'inputSize'> = { margin: 1.3, maxRegions: 4 };

const overlaps = (a: Region, b: Region): boolean => a.x < b.x + b.size && b.x < a.x + a.size && a.y < b.y + b.size && b.y < a.y + a.size;

/** Places a square of `side` centred on (cx, cy), slid inside the frame where it fits. */
function place(cx: number, cy: number, side: number, w: number, h: number): Region {
  const x = side <= w ? Math.min(Math.max(0, cx - side / 2), w - side) : (w - side) / 2;
  const y = side <= h ? Math.min(Math.max(0, cy - side / 2), h - side) : (h - side) / 2;
  return { x: Math.round(x), y: Math.round(y), size: Math.round(side) };
}

function cover(a: Region, b: Region, w: number, h: number): Region {
  const x1 = Math.min(a.x, b.x), y1 = Math.min(a.y, b.y);
  const x2 = Math.max(a.x + a.size, b.x + b.size), y2 = Math.max(a.y + a.size, b.y + b.size);
  return place((x1 + x2) / 2, (y1 + y2) / 2, Math.max(x2 - x1, y2 - y1), w, h);
}

/**
 * Square regions of the full-resolution frame to run the detector on: one around each
 * motion box or expected track position, at least the model's size, merged while they
 * overlap (one larger square costs one inference, two overlapping ones cost two).
 * A square is never squashed: a person keeps their proportions, which the model needs.
 */
export function planRegions(boxes: Box[], w: number, h: number, opts: RegionOptions): Region[] {
  const maxSide = Math.max(w, h);
  const regions = boxes.map((b) => {
    const side = Math.min(maxSide, Math.max(opts.inputSize, Math.max(b[2] - b[0], b[3] - b[1]) * opts.margin));
    return place((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, side, w, h);
  });
  for (let merged = true; merged; ) {
    merged = false;
    outer: for (let i = 0; i < regions.length; i++)
      for (let j = i + 1; j < regions.length; j++) {
        if (!overlaps(regions[i]!, regions[j]!)) continue;
        regions[i] = cover(regions[i]!, regions[j]!, w, h);
        regions.splice(j, 1);
        merged = true;
        break outer;
      }
    // Still too many disjoint regions: merge the pair whose cover is smallest.
    if (!merged && regions.length > opts.maxRegions) {
      let best: [number, number, Region] | undefined;
      for (let i = 0; i < regions.length; i++)
        for (let j = i + 1; j < regions.length; j++) {
          const c = cover(regions[i]!, regions[j]!, w, h);
          if (!best || c.size < best[2].size) best = [i, j, c];
        }
      if (best) {
        regions[best[0]] = best[2];
        regions.splice(best[1], 1);
        merged = true;
      }
    }
  }
  return regions.filter((r) => r.size > 0);
}

/**
 * Squares that together cover the whole frame (for a still image or after a lighting
 * change): side = the shorter dimension, spread evenly along the longer one with overlap,
 * plus one square of the longer side (padded, not squashed) that sees anyone too wide
 * for a tile whole.
 */
export function wholeFrameTiles(w: number, h: number): Region[] {
  const side = Math.min(w, h);
  const long = Math.max(w, h);
  const count = Math.ceil(long / side - 0.05);
  const tiles: Region[] = count > 1 ? [{ x: Math.round((w - long) / 2), y: Math.round((h - long) / 2), size: long }] : [];
  for (let k = 0; k < count; k++) {
    const offset = count === 1 ? (long - side) / 2 : Math.round(((long - side) * k) / (count - 1));
    tiles.push(w >= h ? { x: offset, y: 0, size: side } : { x: 0, y: offset, size: side });
  }
  return tiles;
}

/** Maps detections from a region's model-input pixels to frame pixels, clipped to the frame. */
export function toFramePixels(dets: Detection[], r: Region, inputSize: number, w: number, h: number): Detection[] {
  const s = r.size / inputSize;
  return dets.map((d) => ({
    label: d.label,
    score: d.score,
    box: [
      Math.max(0, r.x + d.box[0] * s),
      Math.max(0, r.y + d.box[1] * s),
      Math.min(w, r.x + d.box[2] * s),
      Math.min(h, r.y + d.box[3] * s),
    ],
  }));
}
