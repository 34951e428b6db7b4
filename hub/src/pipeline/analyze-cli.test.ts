import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeClip, media } from './testing/media.ts';
import { iou } from './detect/boxes.ts';
import { gstreamerMissing, startRtspServer } from '../../../test/fixtures/rtsp-server.ts';

// `khoa analyze` as a user runs it: a real process, stdout parsed line by line.
const khoa = fileURLToPath(new URL('../../bin/khoa.js', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [khoa, 'analyze', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Line { frame: number; motion: boolean; detections: { label: string; score: number; box: number[] }[] }
const lines = (s: string): Line[] => s.trim().split('\n').map((l) => JSON.parse(l) as Line);

describe('khoa analyze', () => {
  it('searches a still image whole and prints one JSON line with boxes in source pixels', async () => {
    const r = await run([media('messi5.jpg'), '--json']);
    expect(r.code).toBe(0);
    const [line, ...rest] = lines(r.stdout);
    expect(rest).toEqual([]);
    expect(line!.frame).toBe(0);
    expect(line!.motion).toBe(true);
    const best = Math.max(...line!.detections.map((d) => iou(d.box as [number, number, number, number], [68, 60, 458, 336])));
    expect(best).toBeGreaterThanOrEqual(0.75);
    expect(line!.detections.every((d) => d.label === 'person' && d.score >= 0.45 && d.score <= 1)).toBe(true);
  }, 60_000);

  it('samples a video at 5 fps by default and every frame with --all-frames', async () => {
    const clip = await makeClip(['-f', 'lavfi', '-i', `movie=${media('building.jpg')},loop=loop=-1:size=1:start=0,scale=640:360,fps=10,trim=duration=2`, '-c:v', 'mjpeg', '-q:v', '3'], 'still-10fps.mkv');
    const sampled = await run([clip, '--json']);
    expect(sampled.code).toBe(0);
    expect(lines(sampled.stdout).map((l) => l.frame)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    // A static, people-free scene: no motion, no one.
    expect(lines(sampled.stdout).every((l) => !l.motion && l.detections.length === 0)).toBe(true);
    const all = await run([clip, '--json', '--all-frames']);
    expect(lines(all.stdout)).toHaveLength(20);
    // stderr is not a terminal here: no progress bar, nothing at all.
    expect(all.stderr).toBe('');
  }, 60_000);

  it('fails clearly, with a non-zero exit, on bad input', async () => {
    const missing = await run(['/nonexistent/clip.mp4']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/KHOA_ERR_VIDEO_INPUT.*|no such file/);
    expect(missing.stdout).toBe('');

    const truncated = join(tmpdir(), 'khoa-truncated.jpg');
    const jpeg = await readFile(media('messi5.jpg'));
    await writeFile(truncated, jpeg.subarray(0, jpeg.length >> 1));
    const cut = await run([truncated]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/KHOA_ERR_IMAGE_DECODE/);

    const text = join(tmpdir(), 'khoa-not-a-video.txt');
    await writeFile(text, 'this is not a video\n');
    const notVideo = await run([text]);
    expect(notVideo.code).toBe(1);
    expect(notVideo.stderr).toMatch(/KHOA_ERR_VIDEO_INPUT/);

    const fake = join(tmpdir(), 'khoa-not-an-image.jpg');
    await writeFile(fake, 'garbage\n');
    const notImage = await run([fake]);
    expect(notImage.code).toBe(1);
    expect(notImage.stderr).toMatch(/not a JPEG, PNG or WebP image.*KHOA_ERR_IMAGE_DECODE/);
  }, 60_000);
});

describe('khoa analyze <rtsp-url>', () => {
  const skip = gstreamerMissing();
  it.skipIf(skip !== null)('reads a real RTSP stream, stops after --max-frames, and finds the people in it', async () => {
    // vtest (pedestrians, 768x576, 10 fps) served by GStreamer's RTSP server as a camera would.
    const server = await startRtspServer({ file: media('vtest-58s-12s.mp4') });
    try {
      const r = await run([server.url, '--json', '--max-frames', '6', '--fps', '2']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = lines(r.stdout);
      expect(out).toHaveLength(6);
      // Frame numbers are the stream's, sampled at about 2 of its 10 frames per second.
      const frames = out.map((l) => l.frame);
      expect(frames).toEqual([...frames].sort((a, b) => a - b));
      expect(new Set(frames).size).toBe(6);
      // The first frame is searched whole; people walk through every frame of vtest.
      expect(out[0]!.detections.length).toBeGreaterThanOrEqual(2);
      for (const l of out)
        for (const d of l.detections) {
          expect(d.label).toBe('person');
          expect(d.box[0]).toBeGreaterThanOrEqual(0);
          expect(d.box[1]).toBeGreaterThanOrEqual(0);
          expect(d.box[2]).toBeLessThanOrEqual(768);
          expect(d.box[3]).toBeLessThanOrEqual(576);
          expect(d.box[2]! - d.box[0]!).toBeGreaterThan(5);
        }
      expect(out.slice(1).some((l) => l.motion)).toBe(true);
    } finally {
      await server.kill();
    }
  }, 90_000);

  it.skipIf(skip !== null)('stops a live stream after --duration seconds', async () => {
    const server = await startRtspServer({ pattern: 'ball', fps: 10 });
    try {
      const r = await run([server.url, '--json', '--duration', '2', '--all-frames']);
      expect(r.code).toBe(0);
      const n = lines(r.stdout).length;
      // About 2 s of a 10 fps stream; ffmpeg may hand over a burst at the start, so some slack.
      // (Without --duration a live stream never ends, and the run times out.)
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(40);
    } finally {
      await server.kill();
    }
  }, 90_000);

  it('fails clearly on an unreachable URL, without printing its password', async () => {
    // A port nobody listens on: refused at once.
    const refused = await run(['rtsp://admin:hunter2@127.0.0.1:1/stream', '--json']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/KHOA_ERR_VIDEO_INPUT/);
    expect(refused.stderr).toMatch(/refused/i);
    expect(refused.stderr).not.toContain('hunter2');

    // A host that accepts the connection and never answers: given up after --timeout.
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const hung = await run([`rtsp://127.0.0.1:${port}/stream`, '--json', '--timeout', '1']);
      expect(hung.code).toBe(1);
      expect(hung.stderr).toMatch(/no frame within 1 s.*KHOA_ERR_VIDEO_INPUT/);
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  }, 60_000);
});
