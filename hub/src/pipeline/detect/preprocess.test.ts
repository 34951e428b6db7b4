import { describe, expect, it } from 'vitest';
import { regionToTensor } from './preprocess.ts';
import { normalisation } from './detectors/nanodet.ts';
import { planRegions, wholeFrameTiles } from './regions.ts';

const N = 416;
const solid = (w: number, h: number, rgb: [number, number, number]) => {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(rgb, i * 3);
  return { data, width: w, height: h };
};

describe('region sampling', () => {
  it('feeds NanoDet BGR planes normalised with its mean and std (upstream preprocessing)', () => {
    const out = new Float32Array(3 * N * N);
    for (const size of [300, 416, 1000]) {
      // Enlarged (bilinear), same size, shrunk (block average): same values for a flat colour.
      regionToTensor(solid(1200, 1200, [200, 100, 50]), { x: 0, y: 0, size }, N, normalisation, out, 0);
      const at = 200 * N + 200;
      expect(out[at]).toBeCloseTo((50 - 103.53) / 57.375, 4); // blue first
      expect(out[at + N * N]).toBeCloseTo((100 - 116.28) / 57.12, 4);
      expect(out[at + 2 * N * N]).toBeCloseTo((200 - 123.675) / 58.395, 4);
    }
  });

  it('copies a region of the model size on whole pixels pixel for pixel, padding outside the frame', () => {
    const w = 500, h = 300;
    const img = { data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 7919) % 251), width: w, height: h };
    const out = new Float32Array(2 * 3 * N * N).fill(9);
    const expected = (x: number, y: number, c: number): number => {
      if (x < 0 || y < 0 || x >= w || y >= h) return 0;
      const v = img.data[(y * w + x) * 3 + (2 - c)]!; // BGR
      return Math.fround((v - normalisation.mean[c]!) * (1 / normalisation.std[c]!));
    };
    for (const r of [{ x: 40, y: -20, size: N }, { x: -30, y: 10, size: N }, { x: 200, y: -200, size: N }]) {
      regionToTensor(img, r, N, normalisation, out, 3 * N * N);
      for (let c = 0; c < 3; c++)
        for (let oy = 0; oy < N; oy += 7)
          for (let ox = 0; ox < N; ox += 3) expect(out[3 * N * N + c * N * N + oy * N + ox]).toBe(expected(r.x + ox, r.y + oy, c));
    }
    expect(out[0]).toBe(9); // only its own slice of the batch is written
  });

  it('pads outside the frame with zeros (the mean) instead of squashing', () => {
    const out = new Float32Array(3 * N * N).fill(9);
    regionToTensor(solid(640, 360, [255, 255, 255]), { x: 0, y: -140, size: 640 }, N, normalisation, out, 0);
    expect(out[10 * N + 200]).toBe(0); // above the frame
    expect(out[208 * N + 200]).toBeGreaterThan(2); // inside: white
    expect(out[410 * N + 200]).toBe(0); // below the frame
  });
});

describe('regions', () => {
  it('puts a square of at least the model size round each motion box and merges overlaps', () => {
    const r = planRegions([[100, 100, 150, 250], [180, 120, 230, 260], [1100, 500, 1150, 700]], 1280, 720, { inputSize: 416, margin: 1.3, maxRegions: 4 });
    expect(r).toHaveLength(2);
    for (const reg of r) expect(reg.size).toBeGreaterThanOrEqual(416);
    expect(r.every((reg) => reg.x >= 0 && reg.y >= 0 && reg.x + reg.size <= 1280 && reg.y + reg.size <= 720)).toBe(true);
  });

  it('tiles a wide frame with overlapping squares plus one padded square of the whole', () => {
    expect(wholeFrameTiles(1280, 720)).toEqual([
      { x: 0, y: -280, size: 1280 },
      { x: 0, y: 0, size: 720 },
      { x: 560, y: 0, size: 720 },
    ]);
    expect(wholeFrameTiles(512, 512)).toEqual([{ x: 0, y: 0, size: 512 }]);
  });
});
