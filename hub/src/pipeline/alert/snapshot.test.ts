import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { renderSnapshot } from './snapshot.ts';

const grey = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#606060' } }).jpeg({ quality: 95 }).toBuffer();
const pixel = async (jpeg: Buffer, x: number, y: number) => {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const o = (y * info.width + x) * info.channels;
  return [data[o]!, data[o + 1]!, data[o + 2]!] as const;
};

describe('renderSnapshot', () => {
  it('draws the alert box in red and a context box in yellow, from a JPEG or from decoded pixels alike', async () => {
    const jpeg = await grey(640, 360);
    const boxes = [{ box: [100, 100, 300, 300] as [number, number, number, number], label: 'người 0.91', primary: true }, { box: [400, 120, 500, 250] as [number, number, number, number], label: '', primary: false }];
    const raw = await sharp(jpeg).raw().toBuffer();
    for (const out of [await renderSnapshot({ jpeg, width: 640, height: 360 }, boxes), await renderSnapshot({ raw: { data: raw, width: 640, height: 360 } }, boxes)]) {
      expect((await sharp(out).metadata()).width).toBe(640);
      const [r, g, b] = await pixel(out, 200, 101); // on the top edge of the alert box
      expect(r).toBeGreaterThan(200);
      expect(g).toBeLessThan(90);
      expect(b).toBeLessThan(90);
      // The context box's line is one pixel thin: JPEG's halved colour planes blur its hue, so
      // it is checked as clearly warmer than the grey rather than as pure yellow.
      const [yr, yg, yb] = await pixel(out, 450, 120);
      expect(yr - yb).toBeGreaterThan(60);
      expect(yg).toBeGreaterThan(0x60 + 40);
      const inside = await pixel(out, 200, 200); // the picture inside the box is untouched
      for (const v of inside) expect(Math.abs(v - 0x60)).toBeLessThan(8);
    }
    // The source pixels are not drawn on: the worker may still use them.
    expect(raw.every((v, i) => i % 3 !== 0 || Math.abs(v - 0x60) < 8)).toBe(true);
  });

  it('clips boxes and captions that run off the picture', async () => {
    const jpeg = await grey(320, 180);
    const out = await renderSnapshot({ jpeg, width: 320, height: 180 }, [{ box: [-40, -10, 400, 200], label: 'người 0.99 rất dài ở mép ảnh', primary: true }]);
    expect((await sharp(out).metadata()).height).toBe(180);
  });
});
