import { describe, expect, it } from 'vitest';
import { createMotionDetector, defaultMotionConfig, toGreyPlane, type MotionConfig, type MotionResult } from './index.ts';
import { lavfiFrames, media } from '../testing/media.ts';
import { dilate, findBlobs, mergeBoxes } from './blobs.ts';

// Scenes made by ffmpeg's lavfi sources at test time, at 5 fps (the pipeline's rate), and
// photos from test/fixtures/media as still backgrounds.
const run = async (graph: string, config: Partial<MotionConfig> = {}): Promise<MotionResult[]> => {
  const m = createMotionDetector({ ...defaultMotionConfig, ...config });
  return (await lavfiFrames(graph)).map((f) => m.update(toGreyPlane(f.image, 160), f.time * 1000, f.image.width, f.image.height));
};
const photo = (name: string, seconds: number, extra = ''): string =>
  `movie=${media(name)},loop=loop=-1:size=1:start=0,fps=5,scale=640:360,setsar=1${extra},trim=duration=${seconds}`;

describe('motion', () => {
  it('finds nothing in a static scene', async () => {
    const results = await run(photo('building.jpg', 4));
    expect(results.length).toBeGreaterThanOrEqual(19);
    expect(results.every((r) => r.boxes.length === 0 && r.events.length === 0)).toBe(true);
  });

  it('follows a moving object, and the ghost of where it started fades', async () => {
    // A textured 60x80 patch (ffmpeg's test pattern) crossing the photo at 80 px/s.
    const results = await run(`${photo('building.jpg', 4)}[bg];testsrc=s=60x80:r=5:d=4[sq];[bg][sq]overlay=x='40+t*80':y=200:shortest=1`);
    results.slice(2).forEach((r, i) => {
      const t = (i + 2) / 5;
      const x = 40 + t * 80;
      // The patch lies inside a box...
      expect(r.boxes.some((b) => b[0] <= x + 10 && b[2] >= x + 50 && b[1] <= 210 && b[3] >= 270)).toBe(true);
      // ...and soon after it left (at 0.75 s) nothing is left where it was at start-up.
      if (t >= 2) expect(r.boxes.every((b) => b[2] >= x - 40)).toBe(true);
    });
  });

  it('treats a light switch as a lighting change, not motion', async () => {
    const results = await run(photo('building.jpg', 4, `,eq=brightness='if(gte(t,2),0.3,0)':eval=frame`));
    expect(results.some((r) => r.events.includes('recalibrated'))).toBe(true);
    expect(results.every((r) => r.boxes.length === 0)).toBe(true);
  });

  it('treats an IR day/night switch (colour to dim grey) as a lighting change', async () => {
    const results = await run(photo('fruits.jpg', 4, `,hue=s='if(gte(t,2),0,1)',eq=brightness='if(gte(t,2),-0.25,0)':eval=frame`));
    expect(results.some((r) => r.events.includes('recalibrated'))).toBe(true);
    expect(results.every((r) => r.boxes.length === 0)).toBe(true);
  });

  it('reports a covered camera as blinded after a while, and clear when uncovered', async () => {
    const graph = `${photo('home.jpg', 6)},drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(t,1,4)'`;
    const results = await run(graph, { blindedAfterMs: 1500 });
    const events = results.flatMap((r, i) => r.events.map((e) => [i / 5, e] as const));
    const blinded = events.find(([, e]) => e === 'blinded');
    const cleared = events.find(([, e]) => e === 'unblinded');
    expect(blinded?.[0]).toBeGreaterThanOrEqual(2.4);
    expect(blinded?.[0]).toBeLessThanOrEqual(3.2);
    expect(cleared?.[0]).toBeGreaterThanOrEqual(4);
    // Going dark and coming back are lighting changes, never motion boxes.
    expect(results.every((r) => r.boxes.length === 0)).toBe(true);
  });

  it('ignores masked areas and scales with sensitivity', async () => {
    const graph = `${photo('building.jpg', 3)}[bg];color=c=0x202020:s=60x80:r=5:d=3[sq];[bg][sq]overlay=x='40+t*80':y=200:shortest=1`;
    const masked = await run(graph, { masks: [[[0, 0.4], [0.7, 0.4], [0.7, 1], [0, 1]]] });
    expect(masked.every((r) => r.boxes.length === 0)).toBe(true);
    const faint = `${photo('building.jpg', 3)}[bg];color=c=0x808080@0.25:s=60x80:r=5:d=3,format=rgba[sq];[bg][sq]overlay=x='40+t*80':y=200:shortest=1`;
    const low = await run(faint, { sensitivity: 0.1 });
    const high = await run(faint, { sensitivity: 0.95 });
    const count = (rs: MotionResult[]): number => rs.filter((r) => r.boxes.length > 0).length;
    expect(count(high)).toBeGreaterThan(count(low));
  });
});

describe('blobs', () => {
  it('dilates, labels and merges', () => {
    const w = 10, h = 6;
    const bits = new Uint8Array(w * h);
    bits[1 * w + 1] = 1;
    bits[1 * w + 3] = 1; // joins the first after dilation by 1
    bits[4 * w + 8] = 1;
    const d = new Uint8Array(w * h);
    dilate(bits, d, w, h, 1);
    expect(findBlobs(d, w, h, 1)).toEqual([[0, 0, 5, 3], [7, 3, 10, 6]]);
    expect(mergeBoxes([[0, 0, 5, 3], [4, 2, 8, 6], [20, 20, 22, 22]])).toEqual([[0, 0, 8, 6], [20, 20, 22, 22]]);
  });
});
