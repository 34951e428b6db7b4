import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeClip, media } from './testing/media.ts';
import { iou } from './detect/boxes.ts';

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
  }, 60_000);
});
