import { EventEmitter } from 'node:events';
import { KhoaError, type RegisteredCamera } from '@khoa/protocol';
import { Backoff, sleep, type BackoffOptions } from '../capture/backoff.ts';
import { redactUrls } from '../capture/redact.ts';
import type { CameraFrame, CameraSource, CameraSourceEvents, SourceState, SourceStatus } from '../types.ts';
import type { AttemptPlanner } from './attempt.ts';

export interface SupervisorOptions {
  backoff: BackoffOptions;
  /** Without frames for this long (since the last frame, or since start), the camera is `lost`. */
  lostAfterMs: number;
  /** Streaming this long counts as a healthy connection and resets the backoff. */
  healthyAfterMs: number;
  /** A failed attempt with no frames leaves a `streaming` state alone while the last frame is newer than this. */
  staleAfterMs: number;
  /** Extra time before the first frame ever (ONVIF reads, RTSP set-up, the first keyframe of the encoder). */
  startGraceMs: number;
}

/**
 * Runs a planner's attempts one after another, forever, until stopped: exponential backoff
 * between failures (capped, so restarts stay bounded), states on change, and a stop that
 * waits for the running attempt (and so its ffmpeg process) to finish.
 */
export class SupervisedSource extends EventEmitter<CameraSourceEvents> implements CameraSource {
  private readonly backoff: Backoff;
  private controller = new AbortController();
  private loop: Promise<void> | undefined;
  private current: SourceStatus | undefined;
  private lastFrameAt = 0;
  private startedAt = 0;
  private lostTimer: NodeJS.Timeout | undefined;
  private lastError = '';
  private lastInfo = '';

  constructor(
    readonly id: string,
    private readonly planner: AttemptPlanner,
    private readonly opts: SupervisorOptions,
  ) {
    super();
    this.backoff = new Backoff(opts.backoff);
  }

  describe(): RegisteredCamera {
    return this.planner.describe();
  }

  status(): SourceStatus | undefined {
    return this.current;
  }

  start(): void {
    if (this.loop) return;
    this.controller = new AbortController();
    this.startedAt = Date.now();
    this.lastInfo = JSON.stringify(this.planner.describe());
    this.armLost();
    this.loop = this.run(this.controller.signal).catch((err: unknown) => {
      // The loop handles every expected failure; this is a bug, reported rather than crashing the agent.
      this.reportError(new KhoaError('KHOA_ERR_CAPTURE_FAILED', `supervisor stopped: ${err instanceof Error ? err.message : String(err)}`));
    });
  }

  async stop(): Promise<void> {
    this.controller.abort();
    clearTimeout(this.lostTimer);
    await this.loop;
    this.loop = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let attemptEnd;
      let via: SourceStatus['via'];
      let firstFrameAt = 0;
      try {
        const attempt = await this.planner.next(signal);
        via = attempt.via;
        this.checkInfo();
        attemptEnd = await attempt.run((frame: CameraFrame) => {
          if (signal.aborted) return;
          this.lastFrameAt = frame.ts;
          if (firstFrameAt === 0) {
            firstFrameAt = frame.ts;
            this.onStreaming(via);
          }
          this.emit('frame', frame);
        }, signal);
        if (signal.aborted) return;
        this.planner.ended(attempt, attemptEnd);
      } catch (err) {
        if (signal.aborted) return;
        const e = err instanceof KhoaError ? err : new KhoaError('KHOA_ERR_CAPTURE_FAILED', err instanceof Error ? err.message : String(err));
        attemptEnd = { frames: 0, error: e };
      }
      if (attemptEnd.planned) continue;
      if (attemptEnd.error) this.reportError(attemptEnd.error);
      if (firstFrameAt > 0 && Date.now() - firstFrameAt >= this.opts.healthyAfterMs) this.backoff.reset();
      const detail = attemptEnd.error ? `${attemptEnd.error.code}: ${attemptEnd.error.message}` : 'stream ended';
      const stale = Date.now() - this.lastFrameAt > this.opts.staleAfterMs;
      if (this.current === undefined || attemptEnd.frames > 0 || (this.current.state === 'streaming' && stale)) {
        this.setState('reconnecting', detail, via);
        this.armLost();
      } else if (this.current.state !== 'streaming') {
        // Keep the newest reason in the state a person reads, without changing the state.
        this.current.detail = redactUrls(detail).slice(0, 200);
      }
      await sleep(this.backoff.next(), signal);
    }
  }

  private checkInfo(): void {
    const info = this.planner.describe();
    const key = JSON.stringify(info);
    // start() recorded what describe() gave before any read; only changes are news.
    if (key === this.lastInfo) return;
    this.lastInfo = key;
    this.emit('info', info);
  }

  private onStreaming(via: SourceStatus['via']): void {
    clearTimeout(this.lostTimer);
    this.lastError = '';
    if (this.current?.state !== 'streaming' || this.current.via !== via) this.setState('streaming', undefined, via);
  }

  private armLost(): void {
    clearTimeout(this.lostTimer);
    const from = this.lastFrameAt > 0 ? this.lastFrameAt : this.startedAt + this.opts.startGraceMs;
    const wait = Math.max(0, from + this.opts.lostAfterMs - Date.now());
    this.lostTimer = setTimeout(() => {
      if (this.controller.signal.aborted || this.current?.state === 'streaming' || this.current?.state === 'lost') return;
      this.setState('lost', this.current?.detail ?? this.lastError ?? 'no frames', this.current?.via);
    }, wait);
  }

  private setState(state: SourceState, detail: string | undefined, via: SourceStatus['via']): void {
    const s: SourceStatus = { state, since: Date.now() };
    if (detail) s.detail = redactUrls(detail).slice(0, 200);
    if (via) s.via = via;
    this.current = s;
    this.emit('state', { ...s });
  }

  private reportError(err: KhoaError): void {
    const key = `${err.code}:${err.message}`;
    if (key === this.lastError) return;
    this.lastError = key;
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}
