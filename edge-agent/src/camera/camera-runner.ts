import { CAMERA_STATES, KhoaError, type CameraConfig, type CameraStateMessage, type FrameHeader } from '@khoa/protocol';
import { MotionGate } from './gate/motion-gate.ts';
import type { CameraMetrics } from './gate/metrics.ts';
import { CameraHealth } from './health/camera-health.ts';
import type { CameraLogger, CameraSink } from './sink.ts';
import type { CameraFrame, CameraSource, SourceStatus } from './types.ts';

const SINK_WAIT_MS = 1000;

export interface RunnerStats {
  framesIn: number;
  bytesIn: number;
  framesSent: number;
  bytesSent: number;
  overrun: number;
  decodeErrors: number;
}

/**
 * One camera: its source, its gate and its health, wired to the sink. Frames are gated one at
 * a time; while the gate works, only the newest waiting frame is kept (a slow Pi drops frames,
 * it does not queue them), so memory per camera stays at two frames.
 */
export class CameraRunner {
  private readonly gate: MotionGate;
  private readonly health = new CameraHealth();
  private busy = false;
  private pending: CameraFrame | undefined;
  private seq = 0;
  private idle: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;
  readonly stats: RunnerStats = { framesIn: 0, bytesIn: 0, framesSent: 0, bytesSent: 0, overrun: 0, decodeErrors: 0 };

  constructor(
    readonly config: CameraConfig,
    readonly source: CameraSource,
    private readonly sink: CameraSink,
    private readonly metrics: CameraMetrics,
    private readonly log: CameraLogger,
  ) {
    this.gate = new MotionGate(config.gate);
    source.on('frame', (f) => this.onFrame(f));
    source.on('state', (s) => this.onSourceState(s));
    source.on('error', (e) => this.log.warn({ camera: this.id, code: e.code, err: e.message }, 'camera attempt failed'));
  }

  get id(): string {
    return this.config.id;
  }

  state(): CameraStateMessage | undefined {
    return this.health.current();
  }

  start(): void {
    this.source.start();
  }

  async stop(): Promise<void> {
    await this.source.stop();
    for (const w of [...this.waiters]) w(undefined);
    this.latest = undefined;
    this.pending = undefined;
    await this.idle;
  }

  private onSourceState(s: SourceStatus): void {
    if (s.state === 'streaming') this.gate.reset();
    this.log.info({ camera: this.id, state: s.state, via: s.via, detail: s.detail }, 'camera source state');
    this.publishState(this.health.setSource(s));
  }

  private publishState(msg: CameraStateMessage | undefined): void {
    if (!msg) return;
    this.metrics.setState(this.id, msg.state, CAMERA_STATES);
    Promise.resolve()
      .then(() => this.sink.publishCameraState(this.id, msg))
      .catch((err: unknown) => this.log.error({ camera: this.id, err: String(err) }, 'publishing camera state failed'));
  }

  /**
   * Publishes a frame now, as a keyframe, for the hub's `snapshot` command: the latest captured
   * frame if it is fresh, else the next one. Rejects with a coded error when none comes in time.
   */
  async snapshot(opts: { maxAgeMs?: number; waitMs?: number } = {}): Promise<void> {
    const maxAge = opts.maxAgeMs ?? 2000;
    let l = this.latest;
    if (!l || Date.now() - l.frame.ts > maxAge) {
      l = await new Promise<{ frame: CameraFrame; seq: number }>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new KhoaError('KHOA_ERR_CAMERA_TIMEOUT', `camera ${this.id} gave no frame within ${opts.waitMs ?? 10_000} ms`, { camera: this.id }));
        }, opts.waitMs ?? 10_000);
        const waiter = (x: { frame: CameraFrame; seq: number } | undefined): void => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          if (x) resolve(x);
          else reject(new KhoaError('KHOA_ERR_CAPTURE_FAILED', `camera ${this.id} stopped`, { camera: this.id }));
        };
        this.waiters.add(waiter);
      });
    }
    const { frame, seq } = l;
    const header: FrameHeader = { seq, ts: frame.ts, width: frame.width || 1, height: frame.height || 1, keyframe: true, motion: false };
    this.stats.framesSent++;
    this.stats.bytesSent += frame.jpeg.length;
    this.metrics.count(this.id, 'sent', frame.jpeg.length);
    await this.sink.publishFrame(this.id, header, frame.jpeg);
  }

  private latest: { frame: CameraFrame; seq: number } | undefined;
  private readonly waiters = new Set<(x: { frame: CameraFrame; seq: number } | undefined) => void>();

  private onFrame(f: CameraFrame): void {
    this.stats.framesIn++;
    this.stats.bytesIn += f.jpeg.length;
    const seq = this.seq++;
    // One frame is kept for snapshots; it is a view of ffmpeg's last pipe chunk, not a copy.
    this.latest = { frame: f, seq };
    for (const w of [...this.waiters]) w(this.latest);
    if (this.busy) {
      if (this.pending) this.drop(this.pending, 'overrun');
      this.pending = f;
      this.pendingSeq = seq;
      return;
    }
    void this.process(f, seq);
  }

  private pendingSeq = 0;

  private drop(f: CameraFrame, why: 'overrun' | 'dropped'): void {
    if (why === 'overrun') this.stats.overrun++;
    this.metrics.count(this.id, why, f.jpeg.length);
  }

  private async process(first: CameraFrame, firstSeq: number): Promise<void> {
    this.busy = true;
    this.idle = new Promise((resolve) => (this.release = resolve));
    let f: CameraFrame | undefined = first;
    let seq = firstSeq;
    try {
      while (f) {
        await this.gateOne(f, seq);
        f = this.pending;
        seq = this.pendingSeq;
        this.pending = undefined;
      }
    } finally {
      this.busy = false;
      this.release?.();
    }
  }

  private async gateOne(f: CameraFrame, seq: number): Promise<void> {
    let d;
    try {
      d = await this.gate.judge(f);
    } catch (err) {
      // A frame the decoder refuses is dropped and counted; the next one may be fine.
      this.stats.decodeErrors++;
      this.drop(f, 'dropped');
      if (this.stats.decodeErrors % 100 === 1) this.log.warn({ camera: this.id, err: err instanceof KhoaError ? err.message : String(err) }, 'frame cannot be decoded');
      return;
    }
    this.publishState(this.health.setBlinded(d.blinded, f.ts));
    if (!d.send) {
      this.drop(f, 'dropped');
      return;
    }
    const header: FrameHeader = { seq, ts: f.ts, width: f.width || 1, height: f.height || 1, keyframe: d.keyframe, motion: d.motion };
    if (d.boxes.length > 0) header.boxes = d.boxes;
    this.stats.framesSent++;
    this.stats.bytesSent += f.jpeg.length;
    this.metrics.count(this.id, 'sent', f.jpeg.length);
    // Wait for the sink (backpressure: frames that come meanwhile are dropped as overrun) but
    // never for long, so a sink stuck on a dead connection cannot freeze the gate and its health checks.
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve(this.sink.publishFrame(this.id, header, f.jpeg)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, SINK_WAIT_MS))),
      ]);
    } catch (err) {
      this.log.warn({ camera: this.id, err: String(err) }, 'publishing frame failed');
    } finally {
      clearTimeout(timer);
    }
  }
}
