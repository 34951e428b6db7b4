import ffmpeg from 'fluent-ffmpeg';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { JpegSplitter, type JpegFrame } from './jpeg-splitter.ts';
import { ffmpegPath } from './ffmpeg-path.ts';
import { redactUrls } from './redact.ts';

/**
 * One ffmpeg capture process: reads `input`, writes scaled MJPEG at `fps` to its stdout
 * (image2pipe) and hands each JPEG to `onFrame`. The returned promise settles only after the
 * process has exited, whatever the reason, so callers that await it never leave a zombie.
 */
export interface FfmpegCaptureOptions {
  input: string;
  /** Options placed before `-i`, e.g. `-rtsp_transport tcp -timeout 5000000`. */
  inputOptions: string[];
  fps: number;
  /** Output width; the source is never scaled up. */
  width: number;
  /** MJPEG quality, 2 (best) to 31. */
  quality?: number;
  maxFrameBytes?: number;
  /** Kill the process when the first frame has not come after this long. */
  startTimeoutMs: number;
  /** Kill the process when frames stop for this long (a socket timeout alone does not catch a stuck decoder). */
  stallTimeoutMs: number;
}

export type CaptureExitReason =
  /** ffmpeg exited 0: the end of a file, or, for RTSP, the server going away (ffmpeg 5.1 prints nothing then). */
  | 'ended'
  | 'failed'
  /** Killed by the watchdog: no frame in time. */
  | 'stalled'
  /** Killed because the caller aborted. */
  | 'stopped'
  | 'spawn_failed';

export interface CaptureExit {
  reason: CaptureExitReason;
  code: number | null;
  signal: string | null;
  frames: number;
  /** Last lines of ffmpeg's stderr, credentials removed. */
  stderrTail: string;
}

const live = new Set<ChildProcess>();
/** Capture processes started and not yet exited, for health checks and tests. */
export function liveCaptureProcesses(): number {
  return live.size;
}

const KILL_GRACE_MS = 2000;
const STDERR_LINES = 8;

export function runFfmpegCapture(opts: FfmpegCaptureOptions, onFrame: (frame: JpegFrame) => void, signal: AbortSignal): Promise<CaptureExit> {
  return new Promise((resolve) => {
    const splitter = new JpegSplitter(opts.maxFrameBytes);
    const stderr: string[] = [];
    let frames = 0;
    let killedFor: 'stalled' | 'stopped' | undefined;
    let proc: ChildProcess | undefined;
    let watchdog: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const finish = (exit: Omit<CaptureExit, 'frames' | 'stderrTail'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      clearTimeout(graceTimer);
      signal.removeEventListener('abort', onAbort);
      resolve({ ...exit, frames, stderrTail: redactUrls(stderr.join('\n')) });
    };
    const kill = (why: 'stalled' | 'stopped'): void => {
      killedFor ??= why;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      // SIGTERM lets ffmpeg close the RTSP session (TEARDOWN); SIGKILL if it does not go.
      proc.kill('SIGTERM');
      graceTimer = setTimeout(() => proc?.kill('SIGKILL'), KILL_GRACE_MS);
    };
    const arm = (ms: number): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => kill('stalled'), ms);
    };
    const onAbort = (): void => kill('stopped');

    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => {
      for (const f of splitter.push(chunk)) {
        frames++;
        arm(opts.stallTimeoutMs);
        onFrame(f);
      }
    });
    out.on('error', () => undefined);

    const quality = String(Math.min(31, Math.max(2, Math.round(opts.quality ?? 5))));
    const cmd = ffmpeg(opts.input)
      .setFfmpegPath(ffmpegPath())
      .inputOptions(['-hide_banner', '-nostdin', '-loglevel', 'error', ...opts.inputOptions])
      .noAudio()
      // `fps` before `scale` so only the kept frames are scaled; min(iw) never enlarges a small stream.
      .outputOptions(['-vf', `fps=${opts.fps},scale=w='min(${opts.width},iw)':h=-2`, '-c:v', 'mjpeg', '-q:v', quality, '-f', 'image2pipe'])
      .output(out, { end: true });

    cmd.on('stderr', (line: string) => {
      stderr.push(line);
      if (stderr.length > STDERR_LINES) stderr.shift();
    });
    cmd.on('start', () => {
      proc = (cmd as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
      if (!proc) return;
      live.add(proc);
      // 'close' comes after the exit and after stdio has drained: the only safe moment to report.
      proc.once('close', (code, sig) => {
        live.delete(proc as ChildProcess);
        const reason: CaptureExitReason = killedFor ?? (code === 0 ? 'ended' : 'failed');
        finish({ reason, code, signal: sig });
      });
      if (signal.aborted) kill('stopped');
    });
    // fluent-ffmpeg reports spawn failures and exits through 'error'/'end'; exits are handled
    // on the process itself above, so these only matter when no process was ever started.
    cmd.on('error', (err: Error) => {
      if (!proc) {
        stderr.push(err.message);
        finish({ reason: signal.aborted ? 'stopped' : 'spawn_failed', code: null, signal: null });
      }
    });
    cmd.on('end', () => undefined);

    signal.addEventListener('abort', onAbort, { once: true });
    arm(opts.startTimeoutMs);
    if (signal.aborted) {
      finish({ reason: 'stopped', code: null, signal: null });
      return;
    }
    cmd.run();
  });
}
