import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ffmpegPath, readVideoFrames } from '../frames/video.ts';
import type { RgbImage } from '../types.ts';

/** Test media shipped in test/fixtures/media (see LICENSES.md there). */
export const media = (name: string): string => fileURLToPath(new URL(`../../../../test/fixtures/media/${name}`, import.meta.url));

/** Runs ffmpeg with `args` writing `out` in a temp dir; resolves to the file's path. */
export async function makeClip(args: string[], name = 'clip.mkv'): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'khoa-media-')), name);
  await new Promise<void>((resolve, reject) => {
    const p = spawn(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', ...args, out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${code}: ${err}`))));
  });
  return out;
}

/** All frames of a lavfi graph (ffmpeg's generated sources), as RGB images with times. */
export async function lavfiFrames(graph: string): Promise<{ time: number; image: RgbImage }[]> {
  const frames: { time: number; image: RgbImage }[] = [];
  for await (const f of readVideoFrames(graph, { inputFormat: 'lavfi' })) frames.push({ time: f.time, image: f.image });
  return frames;
}

export async function fileFrames(path: string, sampleFps?: number): Promise<{ index: number; time: number; image: RgbImage }[]> {
  const frames: { index: number; time: number; image: RgbImage }[] = [];
  for await (const f of readVideoFrames(path, sampleFps ? { sampleFps } : {})) frames.push(f);
  return frames;
}

export const toJpeg = (img: RgbImage, quality = 85): Promise<Buffer> =>
  sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality }).toBuffer();

/** A decoded frame for the analyzer from raw RGB (no shrink). */
export const asFrame = (img: RgbImage) => ({ ...img, sourceWidth: img.width, sourceHeight: img.height, scale: 1 });
