import { KhoaError } from '@khoa/protocol';
import { runFfmpegCapture, type CaptureExit, type FfmpegCaptureOptions } from '../capture/ffmpeg-capture.ts';
import type { Attempt, AttemptEnd } from './attempt.ts';

/** Output settings shared by every ffmpeg-based attempt. */
export interface FfmpegOutput {
  fps: number;
  width: number;
  quality: number;
  startTimeoutMs: number;
  stallTimeoutMs: number;
}

export function exitError(exit: CaptureExit, what: string): KhoaError | undefined {
  // ffmpeg prefixes lines with `[tcp @ 0x55…]` and repeats the URL; a person needs the last words.
  const tail = exit.stderrTail
    .split('\n')
    .map((l) => l.replace(/\[[\w:-]+ @ 0x[0-9a-f]+\]\s*/g, '').replace(/\?timeout=\d+/g, '').replace(/^[a-z]+:\/\/\S+: /i, '').trim())
    .filter(Boolean)
    .slice(-2)
    .join(' | ')
    .slice(0, 140);
  const ctx = { reason: exit.reason, code: exit.code, signal: exit.signal, frames: exit.frames };
  switch (exit.reason) {
    case 'stopped':
      return undefined;
    case 'ended':
      // ffmpeg 5.1 exits 0 without a word when an RTSP server goes away: a lost stream, not the end.
      return new KhoaError('KHOA_ERR_CAPTURE_FAILED', `${what} ended (ffmpeg exited 0)`, ctx);
    case 'stalled':
      return new KhoaError('KHOA_ERR_CAMERA_TIMEOUT', `${what}: no frame in time, ffmpeg killed`, ctx);
    case 'spawn_failed':
      return new KhoaError('KHOA_ERR_CAPTURE_FAILED', `cannot start ffmpeg: ${tail}`, ctx);
    case 'failed': {
      if (/401|Unauthorized/i.test(exit.stderrTail)) return new KhoaError('KHOA_ERR_CAMERA_AUTH', `${what}: ${tail}`, ctx);
      if (/Connection refused|No route to host|Network is unreachable|Name or service not known|Connection timed out/i.test(exit.stderrTail)) {
        return new KhoaError('KHOA_ERR_CAMERA_UNREACHABLE', `${what}: ${tail}`, ctx);
      }
      return new KhoaError('KHOA_ERR_CAPTURE_FAILED', `${what}: ffmpeg exited ${exit.code ?? exit.signal}: ${tail}`, ctx);
    }
  }
}

/** An attempt that runs one ffmpeg process on `input`. */
export function ffmpegAttempt(via: Attempt['via'], input: string, inputOptions: string[], out: FfmpegOutput, what: string, onExit?: (exit: CaptureExit) => void): Attempt {
  return {
    via,
    async run(onFrame, signal): Promise<AttemptEnd> {
      const opts: FfmpegCaptureOptions = { input, inputOptions, ...out };
      const exit = await runFfmpegCapture(opts, (f) => onFrame({ jpeg: f.data, width: f.width, height: f.height, ts: Date.now() }), signal);
      onExit?.(exit);
      const error = exitError(exit, what);
      return error ? { frames: exit.frames, error } : { frames: exit.frames };
    },
  };
}
