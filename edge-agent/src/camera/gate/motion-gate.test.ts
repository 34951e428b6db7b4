import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { parseCameraConfig, type CameraGateConfig } from '@khoa/protocol';
import { MotionGate } from './motion-gate.ts';
import type { GreyPlane } from './grey-plane.ts';

const W = 80;
const H = 45;

function gateConfig(over: Partial<CameraGateConfig> = {}): CameraGateConfig {
  const r = parseCameraConfig({ id: 'g', file: 'x', gate: over });
  if (!r.ok) throw r.error;
  return r.value.gate;
}

/** A textured scene (so it is not "flat") with an optional bright square at (x, y). */
function scene(opts: { box?: [number, number]; level?: number; texture?: number } = {}): GreyPlane {
  const data = new Uint8Array(W * H);
  const level = opts.level ?? 110;
  const texture = opts.texture ?? 30;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = level + (((x >> 2) + (y >> 2)) % 2 ? texture : -texture);
  if (opts.box) {
    const [bx, by] = opts.box;
    for (let y = by; y < Math.min(H, by + 10); y++) for (let x = bx; x < Math.min(W, bx + 8); x++) data[y * W + x] = 250;
  }
  return { data, width: W, height: H };
}

const frame = (ts: number) => ({ ts, width: 640, height: 360 });

describe('MotionGate', () => {
  it('sends the first frame as a keyframe, drops a still scene, and sends a keyframe when the interval runs out', () => {
    const g = new MotionGate(gateConfig({ keyframeIntervalSec: 60 }));
    expect(g.judgePlane(scene(), frame(0))).toMatchObject({ send: true, keyframe: true, motion: false });
    for (let t = 200; t < 60_000; t += 200) expect(g.judgePlane(scene(), frame(t)).send).toBe(false);
    expect(g.judgePlane(scene(), frame(60_000))).toMatchObject({ send: true, keyframe: true, motion: false });
  });

  it('sends motion frames with boxes in frame pixels, then a short tail after motion stops', () => {
    const g = new MotionGate(gateConfig({ postMotionSec: 1 }));
    g.judgePlane(scene(), frame(0));
    const d = g.judgePlane(scene({ box: [40, 20] }), frame(200));
    expect(d).toMatchObject({ send: true, motion: true, keyframe: false });
    const [x1, y1, x2, y2] = d.boxes[0] as [number, number, number, number];
    // The square covers plane pixels 40-47 x 20-29, i.e. 320-383 x 160-239 in a 640x360 frame (within a cell).
    expect(x1).toBeLessThanOrEqual(320);
    expect(x2).toBeGreaterThanOrEqual(376);
    expect(y1).toBeLessThanOrEqual(160);
    expect(y2).toBeGreaterThanOrEqual(232);
    expect(x2 - x1).toBeLessThan(160);
    // The square left: the background never learnt it, so this is no motion, but still sent as the tail.
    expect(g.judgePlane(scene(), frame(400))).toMatchObject({ send: true, motion: false });
    expect(g.judgePlane(scene(), frame(1200)).send).toBe(true); // within 1 s of the last motion
    expect(g.judgePlane(scene(), frame(1600)).send).toBe(false);
  });

  it('re-learns the background on a global change (lights) instead of reporting motion for seconds', () => {
    const g = new MotionGate(gateConfig());
    g.judgePlane(scene({ level: 100 }), frame(0));
    expect(g.judgePlane(scene({ level: 170 }), frame(200)).motion).toBe(true);
    expect(g.judgePlane(scene({ level: 170 }), frame(400)).motion).toBe(false);
  });

  it('judges a dark or flat picture blinded after blindedAfterSec, and recovers with hysteresis', () => {
    const g = new MotionGate(gateConfig({ blindedAfterSec: 2 }));
    g.judgePlane(scene(), frame(0));
    const black = scene({ level: 3, texture: 0 });
    expect(g.judgePlane(black, frame(200)).blinded).toBe(false);
    expect(g.judgePlane(black, frame(1000)).blinded).toBe(false);
    const d = g.judgePlane(black, frame(2300));
    // The frame that turns the verdict is sent, so the hub has the picture behind the alert.
    expect(d).toMatchObject({ blinded: true, send: true, motion: false });
    expect(g.judgePlane(black, frame(2500)).send).toBe(false);
    // Barely above the thresholds is not enough to leave `blinded`.
    expect(g.judgePlane(scene({ level: 18, texture: 6 }), frame(2700)).blinded).toBe(true);
    expect(g.judgePlane(scene(), frame(2900)).blinded).toBe(false);
    // A uniform grey wall (not dark) is blinded too.
    const wall = new MotionGate(gateConfig({ blindedAfterSec: 0 }));
    expect(wall.judgePlane(scene({ level: 128, texture: 0 }), frame(0)).blinded).toBe(true);
  });

  it('sends everything when disabled', () => {
    const g = new MotionGate(gateConfig({ enabled: false }));
    g.judgePlane(scene(), frame(0));
    expect(g.judgePlane(scene(), frame(200)).send).toBe(true);
  });

  it('decodes real JPEGs to a small plane and refuses garbage with a coded error', async () => {
    const g = new MotionGate(gateConfig());
    const jpeg = await sharp({ create: { width: 640, height: 360, channels: 3, background: '#808080' } }).jpeg().toBuffer();
    const d = await g.judge({ jpeg, width: 640, height: 360, ts: 0 });
    expect(d.mean).toBeGreaterThan(120);
    await expect(g.judge({ jpeg: Buffer.from([0xff, 0xd8, 1, 2, 3]), width: 1, height: 1, ts: 1 })).rejects.toMatchObject({ code: 'KHOA_ERR_IMAGE_DECODE' });
  });
});
