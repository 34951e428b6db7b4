import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKhoaError } from '@khoa/protocol';
import { loadSettings } from '../settings/load.ts';
import { createPipeline, type FrameEvent, type Pipeline, type PipelineAlert } from './index.ts';
import { fileFrames, makeClip, media, toJpeg } from './testing/media.ts';

// Zones and masks set in the hub's settings reach the cameras' trackers and motion detectors.
// Scene (ffmpeg, at test time): a person cut from basketball1.jpg walks along the bottom of
// building.jpg from x≈20 to x≈490 of 640, feet at y≈340 of 360; then stands.
const FPS = 5;
let walker: Buffer[];
let pipeline: Pipeline;

/** The hub's settings as a file or KHOA_* variables would give them. */
const settings = loadSettings({
  env: {},
  overrides: {
    pipeline: {
      cameras: {
        // Ground on the left half of the view: the person starts there.
        'agent1/yard': { zones: [[[0, 0.5], [0.5, 0.5], [0.5, 1], [0, 1]]] },
        // Ground on the far right: the person never gets there.
        'agent1/gate': { zones: [[[0.85, 0.5], [1, 0.5], [1, 1], [0.85, 1]]] },
        // No zone, but motion masked everywhere: nothing moves as far as the camera can tell.
        'agent1/masked': { masks: [[[0, 0], [1, 0], [1, 1], [0, 1]]], fullScanMs: 0 },
      },
    },
  },
});

beforeAll(async () => {
  const clip = await makeClip([
    '-loop', '1', '-i', media('building.jpg'), '-loop', '1', '-i', media('basketball1.jpg'),
    '-filter_complex', `[0]scale=640:360,setsar=1[bg];[1]crop=150:410:28:72,scale=70:190[sp];[bg][sp]overlay=x='min(20+t*67,420)':y=150,fps=${FPS}`,
    '-t', '8', '-c:v', 'mjpeg', '-q:v', '3',
  ], 'walker.mkv');
  walker = await Promise.all((await fileFrames(clip)).map((f) => toJpeg(f.image)));
  pipeline = createPipeline({ workers: 1, registry: new Registry(), cameraDefaults: settings.pipeline.cameraDefaults, cameras: settings.pipeline.cameras });
  await pipeline.ready();
}, 60_000);
afterAll(() => pipeline?.close());

/** Offers a camera's frames as the hub's ingest does, one at a time; returns its frame events and alerts. */
async function offerAll(cameraId: string): Promise<{ frames: FrameEvent[]; alerts: PipelineAlert[] }> {
  const origin = { householdId: 'hh1', deviceId: 'agent1', cameraId, receivedAt: Date.now() };
  const key = `hh1/agent1/${cameraId}`;
  const frames: FrameEvent[] = [];
  const alerts: PipelineAlert[] = [];
  const onAlert = (a: PipelineAlert): void => void (a.cameraId === key && alerts.push(a));
  pipeline.on('alert', onAlert);
  for (let i = 0; i < walker.length; i++) {
    const done = new Promise<FrameEvent>((resolve) => {
      const on = (f: FrameEvent): void => {
        if (f.cameraId !== key) return;
        pipeline.off('frame', on);
        resolve(f);
      };
      pipeline.on('frame', on);
    });
    const header = { seq: i, ts: (i * 1000) / FPS, width: 640, height: 360, keyframe: false, motion: true };
    expect(pipeline.offer(origin, { header, jpeg: walker[i]! })).toBe(true);
    frames.push(await done);
  }
  pipeline.off('alert', onAlert);
  return { frames, alerts };
}

describe('per-camera settings from the hub settings', () => {
  it('alerts for a person inside the camera zone', async () => {
    const { alerts } = await offerAll('yard');
    expect(alerts).toHaveLength(1);
    const foot = (alerts[0]!.box[0] + alerts[0]!.box[2]) / 2 / 640;
    expect(foot).toBeLessThan(0.5);
  }, 60_000);

  it('does not alert for the same person outside the zone, though it sees and tracks them', async () => {
    const { frames, alerts } = await offerAll('gate');
    expect(alerts).toEqual([]);
    // Not a detector miss: the person was found and tracked all along.
    expect(frames.filter((f) => f.detections.some((d) => d.score >= 0.5)).length).toBeGreaterThanOrEqual(10);
    expect(frames.at(-1)!.tracks.length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('applies motion masks: a masked view reports no motion while the person walks', async () => {
    const { frames } = await offerAll('masked');
    expect(frames.slice(1).every((f) => !f.motion && f.motionBoxes.length === 0)).toBe(true);
  }, 60_000);

  it('refuses a bad polygon at start, naming the setting', () => {
    const bowTie = loadSettings({ env: {}, overrides: { pipeline: { cameras: { 'agent1/door': { zones: [[[0, 0], [1, 1], [1, 0], [0, 1]]] } } } } });
    let err: unknown;
    try {
      createPipeline({ workers: 1, cameras: bowTie.pipeline.cameras });
    } catch (e) {
      err = e;
    }
    expect(isKhoaError(err, 'KHOA_ERR_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/pipeline\.cameras\.agent1\/door\.zones\[0\] has crossing edges/);
    // The schema's checks come from the settings loader, with the setting's path.
    const refuse = (cameras: unknown): string => {
      try {
        loadSettings({ env: {}, overrides: { pipeline: { cameras } } });
        return 'accepted';
      } catch (e) {
        return isKhoaError(e, 'KHOA_ERR_CONFIG_INVALID') ? e.message : `not coded: ${(e as Error).message}`;
      }
    };
    // (The loader's messages give the JSON pointer, where "/" in a key is written "~1".)
    expect(refuse({ 'agent1/door': { zones: [[[0, 0], [1, 1]]] } })).toMatch(/pipeline\.cameras\.agent1\/door\.zones\.0 must NOT have fewer than 3 items/);
    expect(refuse({ 'agent1/door': { zones: [[[0, 0], [1.5, 0], [1, 1]]] } })).toMatch(/must be <= 1/);
    expect(refuse({ door: { sensitivity: 0.5 } })).toMatch(/unknown setting "pipeline\.cameras\.door"/);
    expect(refuse({ 'agent1/door': { sensitivty: 0.5 } })).toMatch(/unknown setting "pipeline\.cameras\.agent1\/door\.sensitivty"/);
  });

  it('has empty defaults: no zones, no masks, every camera as the pipeline defaults it', () => {
    const s = loadSettings({ env: {} });
    expect(s.pipeline.cameraDefaults).toEqual({});
    expect(s.pipeline.cameras).toEqual({});
  });
});
