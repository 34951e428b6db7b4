import type { KhoaError, RegisteredCamera } from '@khoa/protocol';
import type { CameraFrame, SourceStatus } from '../types.ts';

/** How one capture attempt (one ffmpeg process, one run of snapshot polling) ended. */
export interface AttemptEnd {
  frames: number;
  error?: KhoaError;
  /** Ended on purpose to try something else (leave snapshot polling to re-try RTSP): no backoff, no state change. */
  planned?: boolean;
}

export interface Attempt {
  via: NonNullable<SourceStatus['via']>;
  run(onFrame: (frame: CameraFrame) => void, signal: AbortSignal): Promise<AttemptEnd>;
}

/**
 * Decides what the next attempt is. One planner per kind of camera config (ONVIF, RTSP URL,
 * file); the supervisor around it owns retries, backoff and states.
 */
export interface AttemptPlanner {
  /** The next attempt; may do set-up first (ONVIF reads) and throw a coded error, which counts as a failed attempt. */
  next(signal: AbortSignal): Promise<Attempt>;
  /** Learns from an attempt's end (e.g. switch RTSP transport, fall back to snapshots). */
  ended(attempt: Attempt, end: AttemptEnd): void;
  describe(): RegisteredCamera;
}
