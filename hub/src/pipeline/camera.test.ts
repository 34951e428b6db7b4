import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDetector } from './detect/load.ts';
import { DetectRunner } from './detect/runner.ts';
import { CameraAnalyzer, type FrameAnalysis } from './camera.ts';
import { asFrame, fileFrames, media } from './testing/media.ts';
import { createTracker, defaultTrackerConfig } from './track/index.ts';
import type { Polygon } from './types.ts';

// Real footage: 12 s of OpenCV's vtest.avi (pedestrians on a campus, 768x576, from 58 s),
// sampled at the pipeline's 5 fps. About a dozen people pass; these assertions hold for
// any sensible tracker rather than for tuned numbers.
let runner: DetectRunner;
let frames: Awaited<ReturnType<typeof fileFrames>>;
beforeAll(async () => {
  runner = new DetectRunner(await loadDetector());
  frames = await fileFrames(media('vtest-58s-12s.mp4'), 5);
}, 60_000);
afterAll(() => runner.detector.dispose());

let results: FrameAnalysis[];
/** One pass over the clip; detections are reported down to the tracker's candidate score. */
async function analyseAll(): Promise<FrameAnalysis[]> {
  if (results) return results;
  const a = new CameraAnalyzer('vtest', runner, { reportScore: 0.3 });
  results = [];
  for (const f of frames) results.push(await a.analyze({ frame: asFrame(f.image), ts: f.time * 1000 }));
  return results;
}

describe('camera analyzer on vtest', () => {
  it('sees motion and people on every frame of a busy scene, one alert per person at most', async () => {
    const results = await analyseAll();
    expect(frames).toHaveLength(60);
    expect(results.slice(1).every((r) => r.motion)).toBe(true);
    expect(results.every((r) => r.detections.filter((d) => d.score >= 0.45).length >= 3)).toBe(true);
    const alerted = results.flatMap((r) => r.alerts.map((a) => a.trackId));
    expect(new Set(alerted).size).toBe(alerted.length);
    // Roughly a dozen people pass; a tracker that re-alerts on every flicker would give many more.
    expect(alerted.length).toBeGreaterThanOrEqual(5);
    expect(alerted.length).toBeLessThanOrEqual(18);
  }, 90_000);

  it('with a zone on the lawn in front, alerts once: for the woman who walks across it', async () => {
    // The lower band of the lawn (feet below 82% of the height, left two thirds): in these
    // 12 s only one pedestrian, a woman in a dark coat, walks there (from 0 s to about 8 s).
    // Zones only decide which tracks alert, so the same frames' candidates are replayed
    // through a tracker with the zone (saves a second pass of the detector).
    const zone: Polygon = [[0, 0.82], [0.65, 0.82], [0.65, 1], [0, 1]];
    const tracker = createTracker({ ...defaultTrackerConfig, zones: [zone] });
    const alerts = (await analyseAll()).flatMap((r, i) => tracker.update(r.detections, frames[i]!.time * 1000, 768, 576).alerts.map((a) => ({ i, a })));
    expect(alerts).toHaveLength(1);
    const { i, a } = alerts[0]!;
    expect(i).toBeLessThanOrEqual(10);
    expect((a.box[0] + a.box[2]) / 2 / 768).toBeLessThan(0.65);
    expect(a.box[3] / 576).toBeGreaterThan(0.82);
  }, 60_000);
});
