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

describe('block-average sampling (shrinking by 2x or more)', () => {
  // The definition, written plainly: the mean of the k×k block round each sample point,
  // normalised in the model's channel order; outside the frame, 0.
  const reference = (img: { data: Uint8Array; width: number; height: number }, r: { x: number; y: number; size: number }, ox: number, oy: number, c: number): number => {
    const scale = r.size / N, k = Math.floor(scale);
    const cx = r.x + (ox + 0.5) * scale, cy = r.y + (oy + 0.5) * scale;
    if (cx < 0 || cx >= img.width || cy < 0 || cy >= img.height) return 0;
    const x0 = Math.min(img.width - k, Math.max(0, Math.round(cx - k / 2)));
    const y0 = Math.min(img.height - k, Math.max(0, Math.round(cy - k / 2)));
    let sum = 0;
    for (let y = y0; y < y0 + k; y++) for (let x = x0; x < x0 + k; x++) sum += img.data[(y * img.width + x) * 3 + (2 - c)]!;
    return Math.fround((sum * (1 / (k * k)) - normalisation.mean[c]!) * (1 / normalisation.std[c]!));
  };

  it('gives the block means exactly, for k = 2 to 5, regions off every edge, odd frame widths', () => {
    for (const [w, h] of [[1280, 720], [1001, 563], [2000, 1500]] as const) {
      const img = { data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 7919 + (i >> 9)) % 256), width: w, height: h };
      const out = new Float32Array(2 * 3 * N * N).fill(9);
      const regions = [
        { x: 0, y: -(w - h) / 2, size: w }, // the whole frame, padded above and below
        { x: 37, y: 11, size: 2 * N + 5 },
        { x: -300, y: h - 900, size: 1300 },
        { x: w - 1000, y: -50, size: 3 * N },
        { x: 5, y: 3, size: 5 * N + 100 },
      ];
      for (const r of regions) {
        regionToTensor(img, r, N, normalisation, out, 3 * N * N);
        let checked = 0;
        for (let c = 0; c < 3; c++)
          for (let oy = 0; oy < N; oy += 5)
            for (let ox = 0; ox < N; ox += 3) {
              const got = out[3 * N * N + c * N * N + oy * N + ox]!;
              const want = reference(img, r, ox, oy, c);
              if (got !== want) expect({ w, r, ox, oy, c, got }).toEqual({ w, r, ox, oy, c, got: want });
              checked++;
            }
        expect(checked).toBeGreaterThan(30_000);
      }
      expect(out[0]).toBe(9); // only its own slice of the batch is written
    }
  });

  it('writes zeros for a region wholly outside the frame', () => {
    const out = new Float32Array(3 * N * N).fill(9);
    regionToTensor(solid(640, 360, [255, 255, 255]), { x: 2000, y: 2000, size: 1000 }, N, normalisation, out, 0);
    expect(out.every((v) => v === 0)).toBe(true);
  });
});

describe('bilinear sampling (enlarging, or shrinking by less than 2x)', () => {
  // The definition: half-pixel centres, edge pixels repeated, the right/lower pixel weighted
  // by the fraction (the column fraction held as a float32, as the sampler's table holds it).
  const reference = (img: { data: Uint8Array; width: number; height: number }, r: { x: number; y: number; size: number }, ox: number, oy: number, c: number): number => {
    const scale = r.size / N, W = img.width, H = img.height;
    const sx = r.x + (ox + 0.5) * scale - 0.5, sy = r.y + (oy + 0.5) * scale - 0.5;
    if (sx < -0.5 || sx > W - 0.5 || sy < -0.5 || sy > H - 0.5) return 0;
    const fx = Math.floor(sx), fy = Math.floor(sy);
    const wx = Math.fround(sx - fx), wy = sy - fy;
    const px = (x: number, y: number): number => img.data[(Math.min(H - 1, Math.max(0, y)) * W + Math.min(W - 1, Math.max(0, x))) * 3 + (2 - c)]!;
    const v = px(fx, fy) * ((1 - wx) * (1 - wy)) + px(fx + 1, fy) * (wx * (1 - wy)) + px(fx, fy + 1) * ((1 - wx) * wy) + px(fx + 1, fy + 1) * (wx * wy);
    return Math.fround((v - normalisation.mean[c]!) * (1 / normalisation.std[c]!));
  };

  it('gives the bilinear values exactly, enlarging and shrinking, regions off every edge', () => {
    const w = 1001, h = 563;
    const img = { data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 7919 + (i >> 9)) % 256), width: w, height: h };
    const out = new Float32Array(2 * 3 * N * N).fill(9);
    for (const r of [{ x: 10.5, y: 20.25, size: N }, { x: -100, y: -40, size: 300 }, { x: 700, y: 300, size: 600 }, { x: 3, y: 1, size: 831 }, { x: 0, y: -19, size: 600 }]) {
      regionToTensor(img, r, N, normalisation, out, 3 * N * N);
      for (let c = 0; c < 3; c++)
        for (let oy = 0; oy < N; oy += 5)
          for (let ox = 0; ox < N; ox += 3) {
            const got = out[3 * N * N + c * N * N + oy * N + ox]!;
            const want = reference(img, r, ox, oy, c);
            if (got !== want) expect({ r, ox, oy, c, got }).toEqual({ r, ox, oy, c, got: want });
          }
    }
    expect(out[0]).toBe(9);
  });
});
