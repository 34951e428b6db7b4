import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, type FrameEvent, type Pipeline, type PipelineAlert, type CameraStateEvent } from './index.ts';
import { fileFrames, makeClip, media, toJpeg } from './testing/media.ts';
import { iou } from './detect/boxes.ts';
import type { Box } from './types.ts';

// The whole pipeline through its worker pool, on a scene made with ffmpeg at test time:
// a person (cut from basketball1.jpg) walks across a people-free photo (building.jpg) for
// 6 s, then stands still for 6 s. One alert is expected, with its snapshot.
const FPS = 5;
const spriteX = (t: number): number => Math.min(20 + t * 67, 420);
let walker: Buffer[];
let pipeline: Pipeline;
let registry: Registry;

beforeAll(async () => {
  const clip = await makeClip([
    '-loop', '1', '-i', media('building.jpg'), '-loop', '1', '-i', media('basketball1.jpg'),
    '-filter_complex', `[0]scale=640:360,setsar=1[bg];[1]crop=150:410:28:72,scale=70:190[sp];[bg][sp]overlay=x='min(20+t*67,420)':y=150,fps=${FPS}`,
    '-t', '12', '-c:v', 'mjpeg', '-q:v', '3',
  ], 'walker.mkv');
  walker = await Promise.all((await fileFrames(clip)).map((f) => toJpeg(f.image)));
  registry = new Registry();
  pipeline = createPipeline({ workers: 1, registry });
  await pipeline.ready();
}, 60_000);
afterAll(() => pipeline?.close());

/** Submits frames one at a time (waiting for each result, so none is superseded). */
async function play(p: Pipeline, cameraId: string, frames: Buffer[], t0 = 0): Promise<FrameEvent[]> {
  const out: FrameEvent[] = [];
  for (let i = 0; i < frames.length; i++) {
    const done = new Promise<FrameEvent>((resolve) => {
      const on = (f: FrameEvent): void => {
        if (f.cameraId !== cameraId) return;
        p.off('frame', on);
        resolve(f);
      };
      p.on('frame', on);
    });
    expect(p.submit(cameraId, frames[i]!, { seq: i, ts: t0 + (i * 1000) / FPS })).toBe(true);
    out.push(await done);
  }
  return out;
}

describe('pipeline (worker pool)', () => {
  it('raises one alert, with its snapshot, for a person who walks in and stands still', async () => {
    const alerts: PipelineAlert[] = [];
    pipeline.on('alert', (a) => alerts.push(a));
    const frames = await play(pipeline, 'walker', walker);
    expect(frames).toHaveLength(walker.length);
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a.cameraId).toBe('walker');
    expect(a.score).toBeGreaterThanOrEqual(0.5);
    // The box is where the sprite was at that time (70x190 at y=150).
    const t = (a.seq ?? 0) / FPS;
    const truth: Box = [spriteX(t), 150, spriteX(t) + 70, 340];
    expect(iou(a.box, truth)).toBeGreaterThanOrEqual(0.5);
    // The snapshot is the received JPEG with the box drawn: ready when the alert arrives.
    const meta = await sharp(a.snapshot).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 640, 360]);
    // Standing still for 6 s keeps one track (re-checked about once a second) and no new alert.
    const last = frames.at(-1)!;
    expect(last.tracks.map((tr) => tr.id)).toEqual([a.trackId]);
    expect(last.ts - last.tracks[0]!.lastSeen).toBeLessThanOrEqual(1200);
    // Stationary: most of the last 4 s of frames ran no detection at all.
    const idle = frames.slice(-20).filter((f) => f.timings.infer === 0).length;
    expect(idle).toBeGreaterThanOrEqual(10);
    const text = await registry.metrics();
    expect(text).toMatch(/khoa_pipeline_frames_total\{result="analysed"\} 60/);
    expect(text).toMatch(/khoa_pipeline_stage_seconds_count\{stage="infer"\} 60/);
    expect(text).toMatch(/khoa_pipeline_person_alerts_total 1/);
  }, 60_000);

  it('gives the alerts of people confirmed on the same frame one picture, each with its person drawn', async () => {
    // vtest at 2 fps: several pedestrians are confirmed on the third frame.
    const clip = await makeClip(['-i', media('vtest-58s-12s.mp4'), '-vf', 'scale=640:360,setsar=1,fps=2', '-t', '3', '-c:v', 'mjpeg', '-q:v', '3'], 'busy.mkv');
    const frames = await Promise.all((await fileFrames(clip)).map((f) => toJpeg(f.image)));
    const alerts: PipelineAlert[] = [];
    const on = (a: PipelineAlert): void => void alerts.push(a);
    pipeline.on('alert', on);
    await play(pipeline, 'busy', frames);
    pipeline.off('alert', on);
    const byFrame = new Map<number, PipelineAlert[]>();
    for (const a of alerts) byFrame.set(a.ts, [...(byFrame.get(a.ts) ?? []), a]);
    const together = [...byFrame.values()].find((g) => g.length >= 2);
    expect(together, `alerts per frame: ${[...byFrame.values()].map((g) => g.length).join(',')}`).toBeDefined();
    const picture = together![0]!.snapshot;
    const { data, info } = await sharp(picture).raw().toBuffer({ resolveWithObject: true });
    for (const a of together!) {
      expect(a.snapshot.equals(picture)).toBe(true);
      // The middle of the top edge of this person's box is drawn in the alert colour.
      const x = Math.round((a.box[0] + a.box[2]) / 2), y = Math.round(a.box[1]) + 1;
      const o = (y * info.width + x) * 3;
      expect(data[o]! - Math.max(data[o + 1]!, data[o + 2]!), `box ${a.box.map(Math.round).join(',')}`).toBeGreaterThan(80);
    }
  }, 60_000);

  it('refuses bad frames with coded errors and counts them', async () => {
    const errors: string[] = [];
    pipeline.on('frame_error', (e) => errors.push(e.error.code));
    const jpeg = await readFile(media('messi5.jpg'));
    expect(pipeline.submit('bad', Buffer.from('hello world'))).toBe(false);
    expect(pipeline.submit('bad', new Uint8Array(5 * 1024 * 1024).fill(0xff))).toBe(false);
    expect(pipeline.submit('bad', jpeg.subarray(0, jpeg.length >> 1))).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect(errors).toEqual(['KHOA_ERR_IMAGE_DECODE', 'KHOA_ERR_PAYLOAD_TOO_LARGE', 'KHOA_ERR_IMAGE_DECODE']);
    expect(await registry.metrics()).toMatch(/khoa_pipeline_frames_total\{result="invalid"\} 3/);
  });

  it('reports a covered camera, and takes frames through the hub FrameSink shape', async () => {
    const states: CameraStateEvent[] = [];
    pipeline.on('camera_state', (s) => states.push(s));
    const origin = { householdId: 'hh1', deviceId: 'agent1', cameraId: 'door', receivedAt: Date.now() };
    const key = 'hh1/agent1/door';
    pipeline.configureCamera(key, { motion: { blindedAfterMs: 1000 } });
    const black = await sharp({ create: { width: 640, height: 360, channels: 3, background: '#050505' } }).jpeg().toBuffer();
    const frames = [...walker.slice(0, 3), ...Array<Buffer>(10).fill(black)];
    for (let i = 0; i < frames.length; i++) {
      const header = { seq: i, ts: i * 200, width: 640, height: 360, keyframe: false, motion: true };
      const done = new Promise<void>((resolve) => pipeline.on('frame', function on(f) {
        if (f.cameraId === key) { pipeline.off('frame', on); resolve(); }
      }));
      expect(pipeline.offer(origin, { header, jpeg: frames[i]! })).toBe(true);
      await done;
    }
    expect(states.map((s) => s.state)).toEqual(['recalibrated', 'blinded']);
    expect(states[1]!.origin?.householdId).toBe('hh1');
    // Blinded after 1 s of black: the 6th black frame (ts 8 x 200 = 1600 ms, first black at 600).
    expect(states[1]!.ts).toBe(1600);
  });
});

describe('pipeline queues', () => {
  it('lets the newest frame win and drops stale frames, counting both', async () => {
    const reg = new Registry();
    let clock = 0;
    const p = createPipeline({ workers: 1, registry: reg, queueDepth: 1, maxFrameAgeMs: 1000, now: () => clock });
    try {
      // One camera's frame waits past the age limit before the worker takes it.
      p.submit('late', walker[0]!);
      clock = 5000;
      // Before the worker is ready, frames queue: 5 submitted, 4 superseded.
      for (let i = 0; i < 5; i++) p.submit('cam', walker[i]!, { seq: i });
      const analysed = new Promise<FrameEvent>((resolve) => p.on('frame', resolve));
      await p.ready();
      expect((await analysed).seq).toBe(4);
      await new Promise((r) => setTimeout(r, 300));
      const text = await reg.metrics();
      expect(text).toMatch(/khoa_pipeline_frames_total\{result="superseded"\} 4/);
      expect(text).toMatch(/khoa_pipeline_frames_total\{result="stale"\} 1/);
    } finally {
      await p.close();
    }
  }, 60_000);
});
