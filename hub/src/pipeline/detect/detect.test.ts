import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDetector } from './load.ts';
import { DetectRunner } from './runner.ts';
import { iou } from './boxes.ts';
import { CameraAnalyzer } from '../camera.ts';
import { decodeImage } from '../frames/decode.ts';
import { media } from '../testing/media.ts';
import type { Box, Detection } from '../types.ts';

// Photos from test/fixtures/media (LICENSES.md). Boxes were checked by hand on a grid
// overlay: from the top of the head (or hair) to the feet or the image edge, arms included.
const PEOPLE: Record<string, Box[]> = {
  'messi5.jpg': [[68, 60, 458, 336]],
  'astronaut.jpg': [[10, 16, 370, 512]],
  'basketball1.jpg': [[36, 80, 170, 476], [432, 18, 640, 480]],
};
const NO_PEOPLE = ['fruits.jpg', 'building.jpg', 'home.jpg', 'chelsea.jpg', 'coffee.jpg'];

let runner: DetectRunner;
beforeAll(async () => {
  runner = new DetectRunner(await loadDetector());
});
afterAll(() => runner.detector.dispose());

async function still(name: string): Promise<Detection[]> {
  const frame = await decodeImage(await readFile(media(name)));
  const r = await new CameraAnalyzer('test', runner).analyze({ frame, ts: 0, mode: 'still' });
  return r.detections;
}

describe('person detection on photos (NanoDet-m, square tiles)', () => {
  for (const [name, boxes] of Object.entries(PEOPLE)) {
    it(`finds the people in ${name} with their boxes`, async () => {
      const found = await still(name);
      for (const truth of boxes) {
        const best = Math.max(0, ...found.map((d) => iou(d.box, truth)));
        expect(best, `${name}: best IoU with ${truth.join(',')}`).toBeGreaterThanOrEqual(0.75);
      }
      // The hand-checked people are the most confident detections (messi5 also has a crowd).
      const top = [...found].sort((a, b) => b.score - a.score).slice(0, boxes.length);
      expect(top.every((d) => boxes.some((b) => iou(d.box, b) >= 0.75))).toBe(true);
    });
  }

  it('finds no person in photos without people', async () => {
    for (const name of NO_PEOPLE) expect(await still(name), name).toEqual([]);
  });

  it('keeps a small person: the region is cut at full resolution, not squashed', async () => {
    // basketball1 shrunk into a corner of a large grey canvas: each person is ~100 px tall.
    const sharp = (await import('sharp')).default;
    const small = await sharp(media('basketball1.jpg')).resize(213, 160).toBuffer();
    const canvas = await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#777' } })
      .composite([{ input: small, left: 900, top: 500 }])
      .jpeg()
      .toBuffer();
    const frame = await decodeImage(canvas);
    const analyzer = new CameraAnalyzer('small', runner);
    // First frame searches the whole view; a motion-like region near the people finds both.
    const r = await runner.detect(frame, [{ x: 800, y: 304, size: 416 }]);
    expect(r.detections.filter((d) => d.score >= 0.45).length).toBe(2);
    expect((await analyzer.analyze({ frame, ts: 0 })).regions.length).toBeGreaterThan(0);
  });
});
