import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KhoaError } from '@khoa/protocol';
import { startOnvifSim, type OnvifSim } from '../../../test/fixtures/onvif-sim/index.ts';
import { gstreamerMissing, startRtspServer } from '../../../test/fixtures/rtsp-server.ts';
import { CameraManager } from './camera-manager.ts';
import { ffmpegPath } from './capture/ffmpeg-path.ts';
import { ffmpegChildren, recordingSink, waitFor } from './test-helpers.ts';

const FAST = { ioTimeoutSec: 2, startTimeoutSec: 1, stallTimeoutSec: 3, backoffInitialMs: 200, backoffMaxMs: 800, lostAfterSec: 1, onvifTimeoutSec: 3 };

describe('broken cameras do not stop the manager', () => {
  let dir: string;
  let clip: string;
  let good: OnvifSim;
  let garbage: OnvifSim;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'khoa-cam-'));
    clip = join(dir, 'clip.mp4');
    // A short moving test picture, made here so nothing binary is committed.
    execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=10', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
    good = await startOnvifSim({ user: 'admin', pass: 'right-password-1' });
    garbage = await startOnvifSim({ user: 'admin', pass: 'right-password-1', mode: 'garbage' });
  });
  afterAll(async () => {
    await good?.close();
    await garbage?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports wrong password, unreachable address and garbage SOAP with coded errors while a good camera streams', { timeout: 60_000 }, async () => {
    const sink = recordingSink();
    const errors = new Map<string, KhoaError>();
    const mgr = new CameraManager({
      cameras: [
        { id: 'demo', file: clip, fps: 5, capture: FAST },
        { id: 'badpass', onvif: { xaddr: good.xaddr, user: 'admin', pass: 'wrong-password' }, capture: FAST },
        { id: 'nohost', onvif: { address: '127.0.0.1:1', user: 'admin', pass: 'x' }, capture: FAST },
        { id: 'garbage', onvif: { xaddr: garbage.xaddr, user: 'admin', pass: 'right-password-1' }, capture: FAST },
        { id: 'Not An Id', file: clip },
        { id: 'demo', file: clip },
      ],
      sink,
    });
    mgr.on('camera_error', (id, e) => errors.set(id, e));
    const refused: string[] = [];
    mgr.on('config_error', (_i, e) => refused.push(e.code));
    mgr.start();
    try {
      expect(refused).toEqual(['KHOA_ERR_CONFIG_INVALID', 'KHOA_ERR_CONFIG_INVALID']);
      await waitFor(() => ['badpass', 'nohost', 'garbage'].every((id) => sink.statesOf(id).includes('lost')), 10_000, 'bad cameras lost');
      expect(errors.get('badpass')?.code).toBe('KHOA_ERR_CAMERA_AUTH');
      expect(errors.get('nohost')?.code).toBe('KHOA_ERR_CAMERA_UNREACHABLE');
      expect(errors.get('garbage')?.code).toBe('KHOA_ERR_CAMERA_PROTOCOL');
      // The reason reaches the retained state a person reads; the password never does.
      expect(mgr.states().badpass?.detail).toMatch(/KHOA_ERR_CAMERA_AUTH/);
      expect(JSON.stringify(sink.states)).not.toMatch(/wrong-password|right-password/);
      // Meanwhile the file camera streams, and keeps doing so past the end of its 3 s clip (looped).
      await waitFor(() => sink.frames.filter((f) => f.id === 'demo').length >= 3, 10_000, 'frames from the good camera');
      expect(mgr.states().demo?.state).toBe('streaming');
      // 15 frames is the whole 3 s clip at 5 fps; more means the file source looped.
      await waitFor(() => (mgr.stats().demo?.framesIn ?? 0) > 18, 10_000, 'the file source looping');
      expect(mgr.describe().map((c) => c.id)).toEqual(['demo', 'badpass', 'nohost', 'garbage']);
      // The hub's `snapshot` command: a keyframe now from a working camera, a coded error from a dead one.
      const before = sink.frames.length;
      await mgr.snapshot('demo');
      expect(sink.frames.slice(before).some((f) => f.id === 'demo' && f.header.keyframe)).toBe(true);
      await expect(mgr.snapshot('badpass', { waitMs: 300 })).rejects.toMatchObject({ code: 'KHOA_ERR_CAMERA_TIMEOUT' });
      await expect(mgr.snapshot('nope')).rejects.toMatchObject({ code: 'KHOA_ERR_DEVICE_UNKNOWN' });
    } finally {
      await mgr.stop();
    }
    expect(ffmpegChildren()).toEqual([]);
  });
});

const missing = gstreamerMissing();
describe.skipIf(missing !== null)('RTSP transport', () => {
  it('falls back to UDP when the camera refuses TCP interleaving (461)', { timeout: 60_000 }, async () => {
    const rtsp = await startRtspServer({ pattern: 'ball', transport: 'udp' });
    const sink = recordingSink();
    const errors: string[] = [];
    const mgr = new CameraManager({ cameras: [{ id: 'udp', rtspUrl: rtsp.url, capture: { ...FAST, startTimeoutSec: 8, lostAfterSec: 10 } }], sink });
    mgr.on('camera_error', (_id, e) => errors.push(e.message));
    mgr.start();
    try {
      await waitFor(() => sink.frames.length >= 2, 15_000, 'frames over UDP');
      expect(errors.join('\n')).toMatch(/RTSP over TCP.*461/);
      expect(sink.statesOf('udp')).toEqual(['reconnecting', 'streaming']);
    } finally {
      await mgr.stop();
      await rtsp.kill();
    }
  });
});
