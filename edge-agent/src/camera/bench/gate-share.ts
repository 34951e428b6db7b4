/**
 * How much the motion gate keeps, in frames and bytes, on a busy and a quiet video.
 *
 *   npx tsx edge-agent/src/camera/bench/gate-share.ts [--busy FILE] [--seconds 60]
 *
 * Frames come from the real capture path (ffmpeg → MJPEG 640 px, 5 fps → splitter) as fast as
 * ffmpeg decodes, with capture times spaced 200 ms apart as a live camera would give. Busy:
 * OpenCV's vtest.avi (people walking through a hall, Debian opencv-doc) unless given; quiet:
 * its first frame held still with sensor noise and compression, made here with ffmpeg;
 * mixed: quiet with 10 s of the busy video in the middle. JSON on stdout.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCameraConfig } from '@khoa/protocol';
import { runFfmpegCapture } from '../capture/ffmpeg-capture.ts';
import { ffmpegPath } from '../capture/ffmpeg-path.ts';
import { MotionGate } from '../gate/motion-gate.ts';
import type { JpegFrame } from '../capture/jpeg-splitter.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const FPS = 5;
const seconds = Number(arg('seconds') ?? 60);
const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const ff = (args: string[]): void => void execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', ...args]);

async function capture(file: string): Promise<JpegFrame[]> {
  const frames: JpegFrame[] = [];
  await runFfmpegCapture({ input: file, inputOptions: [], fps: FPS, width: 640, quality: 5, startTimeoutMs: 30_000, stallTimeoutMs: 30_000 }, (f) => frames.push({ ...f, data: Buffer.from(f.data) }), new AbortController().signal);
  return frames;
}

async function share(name: string, file: string) {
  const frames = await capture(file);
  const cfg = parseCameraConfig({ id: 'bench', file: 'x' });
  if (!cfg.ok) throw cfg.error;
  const gate = new MotionGate(cfg.value.gate);
  let sent = 0;
  let motion = 0;
  let keyframes = 0;
  let bytesIn = 0;
  let bytesSent = 0;
  const t0 = performance.now();
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i] as JpegFrame;
    const d = await gate.judge({ jpeg: f.data, width: f.width, height: f.height, ts: i * (1000 / FPS) });
    bytesIn += f.data.length;
    if (d.send) {
      sent++;
      bytesSent += f.data.length;
    }
    if (d.motion) motion++;
    if (d.keyframe && d.send) keyframes++;
  }
  const gateMsPerFrame = (performance.now() - t0) / Math.max(1, frames.length);
  return {
    video: name,
    frames: frames.length,
    seconds: frames.length / FPS,
    sentFrames: sent,
    motionFrames: motion,
    keyframes,
    frameShareKept: +(sent / frames.length).toFixed(3),
    bytesIn,
    bytesSent,
    byteShareKept: +(bytesSent / bytesIn).toFixed(3),
    gateMsPerFrame: +gateMsPerFrame.toFixed(2),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'khoa-gate-bench-'));
try {
  let busy = arg('busy') ?? (existsSync(VTEST) ? VTEST : undefined);
  if (!busy) {
    // No OpenCV sample here: a synthetic moving scene stands in.
    busy = join(dir, 'busy.mp4');
    ff(['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=10`, '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', busy]);
  }
  const still = join(dir, 'still.png');
  ff(['-i', busy, '-frames:v', '1', still]);
  const quiet = join(dir, 'quiet.mp4');
  ff(['-loop', '1', '-i', still, '-vf', 'scale=640:-2,noise=alls=6:allf=t,format=yuv420p', '-r', '10', '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', quiet]);
  const burst = join(dir, 'burst.mp4');
  ff(['-ss', '20', '-i', busy, '-t', '10', '-vf', 'scale=640:-2,fps=10,format=yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', burst]);
  const half = join(dir, 'half.mp4');
  ff(['-i', quiet, '-t', String(seconds / 2), '-c', 'copy', half]);
  const mixed = join(dir, 'mixed.mp4');
  ff(['-i', half, '-i', burst, '-i', half, '-filter_complex', '[0:v][1:v][2:v]concat=n=3:v=1[v]', '-map', '[v]', '-c:v', 'libx264', '-preset', 'veryfast', mixed]);
  const results = [await share(busy === VTEST ? 'busy (vtest.avi, people walking)' : 'busy', busy), await share('quiet (still + sensor noise)', quiet), await share('mixed (quiet, 10 s of people)', mixed)];
  console.log(JSON.stringify({ bench: 'camera-gate-share', fps: FPS, width: 640, gate: 'defaults', results }, null, 1));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
