import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { KhoaError } from '@khoa/protocol';
import type { RgbImage } from '../types.ts';

/** Debian's ffmpeg when installed (it has every codec), else the one shipped on npm. */
export function ffmpegPath(): string {
  if (process.env.KHOA_FFMPEG) return process.env.KHOA_FFMPEG;
  if (existsSync('/usr/bin/ffmpeg')) return '/usr/bin/ffmpeg';
  const require = createRequire(import.meta.url);
  return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

export interface VideoFrame {
  /** Index of the frame in the source, from 0 (counts every decoded frame, sampled or not). */
  index: number;
  /** Seconds from the start: index / fps for files, wall clock for live streams. */
  time: number;
  image: RgbImage;
}

export interface VideoInfo {
  fps?: number;
  durationSec?: number;
}

export interface ReadVideoOptions {
  /** Keep about this many frames per second; undefined keeps every frame. */
  sampleFps?: number;
  /** Called once ffmpeg has printed the stream's frame rate and duration. */
  onInfo?: (info: VideoInfo) => void;
  signal?: AbortSignal;
  /** ffmpeg input format (e.g. `lavfi` for generated test scenes); the input is then not a file. */
  inputFormat?: string;
  /** Frames with more pixels are refused by ffmpeg's decoder before it allocates them (decompression bombs). */
  maxPixels?: number;
  /**
   * A live stream that sends no frame for this long, at the start or later, is given up
   * (default 15 s): a host that drops packets instead of refusing would otherwise hang the
   * reader for ever. Done here, not with ffmpeg's socket timeout, whose option name and
   * meaning differ between ffmpeg versions.
   */
  frameTimeoutMs?: number;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The input as it may be shown in messages and logs: a password in an RTSP URL is not. */
export function redactInput(input: string): string {
  return input.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@');
}

const isLive = (input: string): boolean => /^(rtsp|rtsps|rtmp|http|https|udp|tcp|srt):\/\//i.test(input);

function parseInfo(stderr: string): VideoInfo {
  const fps = /Video:.*?(\d+(?:\.\d+)?) fps/.exec(stderr)?.[1] ?? /Video:.*?(\d+(?:\.\d+)?) tbr/.exec(stderr)?.[1];
  const dur = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(stderr);
  return {
    ...(fps && { fps: Number(fps) }),
    ...(dur && { durationSec: Number(dur[1]) * 3600 + Number(dur[2]) * 60 + Number(dur[3]) }),
  };
}

/** The still-image bound (decode.ts defaultDecodeLimits.maxInputPixels), without loading sharp here. */
const DEFAULT_MAX_PIXELS = 40_000_000;

function tooLarge(input: string, width: number, height: number, maxPixels: number): KhoaError {
  return new KhoaError('KHOA_ERR_IMAGE_TOO_LARGE', `${input}: frames of ${width}x${height} are more than ${maxPixels} pixels`, { input, width, height, maxPixels });
}

/** Reads one `P6 <w> <h> 255\n` header; returns undefined until enough bytes are buffered. */
function ppmHeader(buf: Buffer): { width: number; height: number; headerBytes: number } | undefined {
  const tokens: string[] = [];
  let i = 0;
  while (tokens.length < 4 && i < buf.length && i < 64) {
    while (i < buf.length && /\s/.test(String.fromCharCode(buf[i]!))) i++;
    const start = i;
    while (i < buf.length && !/\s/.test(String.fromCharCode(buf[i]!))) i++;
    if (i >= buf.length) return undefined;
    tokens.push(buf.toString('latin1', start, i));
  }
  if (tokens.length < 4) return undefined;
  if (tokens[0] !== 'P6' || tokens[3] !== '255') throw new KhoaError('KHOA_ERR_VIDEO_INPUT', 'ffmpeg wrote an unexpected frame header', { header: tokens.join(' ') });
  return { width: Number(tokens[1]), height: Number(tokens[2]), headerBytes: i + 1 };
}

/**
 * Decodes a video file or stream with ffmpeg into raw RGB frames (PPM over a pipe: each
 * frame states its own size, and there is no JPEG re-encode between ffmpeg and the
 * pipeline: one decode per frame). Sampling happens here, by source frame index and
 * frame rate, so frame numbers in the output are the source's.
 */
export async function* readVideoFrames(input: string, opts: ReadVideoOptions = {}): AsyncGenerator<VideoFrame> {
  const live = isLive(input);
  const shown = redactInput(input);
  if (!live && !opts.inputFormat && !existsSync(input)) throw new KhoaError('KHOA_ERR_VIDEO_INPUT', `${shown}: no such file`, { input: shown });
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'info'];
  if (/^rtsps?:/i.test(input)) args.push('-rtsp_transport', 'tcp');
  if (opts.inputFormat) args.push('-f', opts.inputFormat);
  // The decoder checks each frame's header against this before allocating it: a small file of
  // 8000×8000 frames would otherwise send 192 MB per frame down the pipe.
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  args.push('-max_pixels', String(maxPixels));
  // -vsync (not -fps_mode) so the older static ffmpeg from npm understands it too.
  args.push('-i', input, '-an', '-sn', '-vsync', 'passthrough', '-f', 'image2pipe', '-c:v', 'ppm', '-pix_fmt', 'rgb24', 'pipe:1');
  const proc = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'], ...(opts.signal && { signal: opts.signal }) });
  let stderr = '';
  let info: VideoInfo | undefined;
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (s: string) => {
    if (stderr.length < 64_000) stderr += s;
    if (!info && /Stream #.*Video:.*\n/.test(stderr)) {
      info = parseInfo(stderr);
      opts.onInfo?.(info);
    }
  });
  const exited = new Promise<number | null>((resolve) => {
    proc.on('close', (code) => resolve(code));
    proc.on('error', () => resolve(-1));
  });

  const started = Date.now();
  const frameTimeoutMs = opts.frameTimeoutMs ?? 15_000;
  let timedOut = false;
  let stallTimer: NodeJS.Timeout | undefined;
  const armStallTimer = (): void => {
    if (!live) return;
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, frameTimeoutMs);
  };
  armStallTimer();
  let buf: Buffer = Buffer.alloc(0);
  let index = 0;
  let lastBucket = -1;
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        const h = ppmHeader(buf);
        if (!h) break;
        // An ffmpeg build that ignores -max_pixels: refuse before buffering the frame.
        if (h.width * h.height > maxPixels) throw tooLarge(shown, h.width, h.height, maxPixels);
        const size = h.headerBytes + h.width * h.height * 3;
        if (buf.length < size) break;
        // Own copy of the pixels: `buf` is reused for the next frame's bytes.
        const data = new Uint8Array(h.width * h.height * 3);
        data.set(buf.subarray(h.headerBytes, size));
        buf = buf.subarray(size);
        // Older ffmpeg builds "play" any text file as ANSI art (format tty): that is not a video.
        if (/Input #0, tty,/.test(stderr)) throw new KhoaError('KHOA_ERR_VIDEO_INPUT', `${shown}: a text file, not a video`, { input: shown });
        const fps = info?.fps;
        const time = live || !fps ? (Date.now() - started) / 1000 : index / fps;
        const bucket = opts.sampleFps ? Math.floor(time * opts.sampleFps + 1e-6) : index;
        if (bucket > lastBucket) {
          lastBucket = bucket;
          // The consumer's time with the frame is not the stream's silence.
          clearTimeout(stallTimer);
          yield { index, time, image: { data, width: h.width, height: h.height } };
        }
        armStallTimer();
        index++;
      }
    }
  } finally {
    clearTimeout(stallTimer);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
  const code = await exited;
  if (timedOut) {
    const what = index === 0 ? 'no frame' : `stream stalled after ${index} frames: no frame`;
    throw new KhoaError('KHOA_ERR_VIDEO_INPUT', `${shown}: ${what} within ${frameTimeoutMs / 1000} s`, { input: shown, frames: index });
  }
  const refusedSize = /Picture size (\d+)x(\d+) exceeds specified max pixel count/.exec(stderr);
  if (index === 0 && refusedSize) throw tooLarge(shown, Number(refusedSize[1]), Number(refusedSize[2]), maxPixels);
  if (index === 0) {
    // ffmpeg repeats the URL (with any password) in its messages; its last line names the cause
    // ("Connection refused", "404 Not Found"), and a line about its own options does not.
    const last = stderr
      .trim()
      .split('\n')
      .filter((l) => l && !/deprecated/i.test(l))
      .slice(-1)
      .map((l) => l.replace(/^\[[^\]]+ @ 0x[0-9a-f]+\]\s*/, '').replaceAll(input, shown).replace(new RegExp(`^${escapeRegExp(shown)}:\\s*`), ''))[0];
    throw new KhoaError('KHOA_ERR_VIDEO_INPUT', `${shown}: ${last || `ffmpeg exited with ${code}`}`, { input: shown, code });
  }
}
