import { describe, expect, it } from 'vitest';
import { createTracker, defaultTrackerConfig, type TrackerConfig } from './index.ts';
import type { Box, Detection } from '../types.ts';
import { inZones, pointInPolygon } from './zones.ts';

const W = 1280, H = 720;
const person = (box: Box, score = 0.7): Detection => ({ label: 'person', score, box });
/** Feeds one frame per 200 ms (5 fps); returns every alert's track id in order. */
function feed(frames: Detection[][], config: Partial<TrackerConfig> = {}): number[] {
  const t = createTracker({ ...defaultTrackerConfig, ...config });
  return frames.flatMap((dets, i) => t.update(dets, i * 200, W, H).alerts.map((a) => a.id));
}
const walk = (n: number, from = 100, speed = 25, score = 0.7): Detection[][] =>
  Array.from({ length: n }, (_, i) => [person([from + i * speed, 300, from + i * speed + 80, 520], score)]);

describe('tracker', () => {
  it('raises one alert for one person walking through', () => {
    expect(feed(walk(30))).toEqual([1]);
  });

  it('needs several frames: one confident detection is not a person yet', () => {
    expect(feed([[person([100, 300, 180, 520], 0.95)], [], [], [], [], [], [], [], [], [], [], [], [], [], []])).toEqual([]);
  });

  it('does not confirm a track whose median score stays low', () => {
    const flicker = walk(20).map((f, i) => f.map((d) => ({ ...d, score: i % 3 === 0 ? 0.8 : 0.35 })));
    expect(feed(flicker)).toEqual([]);
  });

  it('follows a fast walker at low frame rates (centroid link when boxes no longer overlap)', () => {
    expect(feed(walk(20, 0, 70))).toEqual([1]);
  });

  it('does not re-alert a person standing still whose detections drop out for a while', () => {
    const standing = [person([600, 200, 700, 500])];
    const frames = [...Array(10).fill(standing), ...Array(20).fill([]), ...Array(10).fill(standing)];
    expect(feed(frames as Detection[][])).toEqual([1]);
  });

  it('alerts for two people walking apart, once each', () => {
    const frames = walk(20).map((f, i) => [...f, person([1100 - i * 25, 280, 1180 - i * 25, 500])]);
    expect(feed(frames).sort()).toEqual([1, 2]);
  });

  it('counts only tracks whose feet are in a zone', () => {
    // Zone: the right half of the view. The walker starts left and crosses into it.
    const zones: TrackerConfig['zones'] = [[[0.5, 0], [1, 0], [1, 1], [0.5, 1]]];
    const alerts: { i: number; id: number }[] = [];
    const t = createTracker({ ...defaultTrackerConfig, zones });
    walk(30).forEach((dets, i) => t.update(dets, i * 200, W, H).alerts.forEach((a) => alerts.push({ i, id: a.id })));
    expect(alerts).toHaveLength(1);
    // Feet centre x = 140 + 25 i crosses 640 at i = 20.
    expect(alerts[0]!.i).toBe(20);
    expect(feed(walk(15), { zones })).toEqual([]);
  });

  it('looks again at a standing person about once a second, and gives up on an unconfirmed thing', () => {
    const t = createTracker(defaultTrackerConfig);
    const standing = person([600, 200, 700, 500]);
    const looks: number[] = [];
    for (let i = 0; i < 40; i++) {
      const ts = i * 200;
      const want = t.expectedBoxes(ts).length;
      looks.push(want);
      t.update(i === 0 || want ? [standing] : [], ts, W, H);
    }
    // Looked at every frame until stationary for 3 s, then every fifth frame (1 s at 5 fps).
    expect(looks.slice(1, 15).every((n) => n === 1)).toBe(true);
    expect(looks.slice(20).filter((n) => n === 1).length).toBeLessThanOrEqual(5);
    expect(looks.slice(20).filter((n) => n === 1).length).toBeGreaterThanOrEqual(3);

    const u = createTracker(defaultTrackerConfig);
    const lowScore = person([100, 100, 150, 250], 0.32); // e.g. a statue, a coat on a hook
    const asked: number[] = [];
    for (let i = 0; i < 20; i++) {
      asked.push(u.expectedBoxes(i * 200).length);
      u.update([lowScore], i * 200, W, H);
    }
    expect(asked.slice(6).every((n) => n === 0)).toBe(true);
  });

  it('zones: point in polygon', () => {
    const tri: [number, number][] = [[0, 0], [1, 0], [0, 1]];
    expect(pointInPolygon([0.2, 0.2], tri)).toBe(true);
    expect(pointInPolygon([0.8, 0.8], tri)).toBe(false);
    expect(inZones([0, 0, 10, 10], 100, 100, [])).toBe(true);
  });
});
