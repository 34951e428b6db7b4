import { EventEmitter } from 'node:events';
import type { Registry } from 'prom-client';
import { KhoaError, parseCameraConfig, type CameraConfig, type CameraStateMessage, type RegisteredCamera } from '@khoa/protocol';
import { CameraRunner, type RunnerStats } from './camera-runner.ts';
import { CameraMetrics } from './gate/metrics.ts';
import { silentLogger, type CameraLogger, type CameraSink } from './sink.ts';
import { createCameraSource } from './source-factory.ts';
import type { CameraSource } from './types.ts';

export interface CameraManagerOptions {
  /** `AgentConfig.cameras`: entries are validated here against `CameraConfigSchema` (protocol). */
  cameras: readonly unknown[];
  sink: CameraSink;
  logger?: CameraLogger;
  /** Where the camera metrics register; a fresh registry by default (merge it into the agent's). */
  registry?: Registry;
  /** Builds a source from an entry; tests pass a simulated camera behind the same interface. */
  createSource?: (config: CameraConfig) => CameraSource;
}

export interface CameraManagerEvents {
  /** A camera entry that was refused (bad config); the other cameras run. */
  config_error: [index: number, error: KhoaError];
  /** A camera attempt failed (setup or capture); the manager retries on its own. */
  camera_error: [cameraId: string, error: KhoaError];
  state: [cameraId: string, msg: CameraStateMessage];
  /** A camera's registration info changed (make, model, stream size read over ONVIF): register again. */
  camera_info: [cameraId: string, info: RegisteredCamera];
}

/**
 * Runs the household's cameras: one supervised source, motion gate and health per entry,
 * feeding the sink. Lifecycle as the other agent parts: the constructor only validates and
 * stores, `start()` starts capture, `stop()` undoes it and waits for every ffmpeg to exit.
 * A camera that fails never stops the manager or the other cameras.
 */
export class CameraManager extends EventEmitter<CameraManagerEvents> {
  readonly metrics: CameraMetrics;
  private readonly runners = new Map<string, CameraRunner>();
  private readonly refused: { index: number; error: KhoaError }[] = [];
  private readonly log: CameraLogger;
  private started = false;

  constructor(private readonly opts: CameraManagerOptions) {
    super();
    this.log = opts.logger ?? silentLogger;
    this.metrics = new CameraMetrics(opts.registry);
    const make = opts.createSource ?? createCameraSource;
    opts.cameras.forEach((raw, index) => {
      const r = parseCameraConfig(raw);
      if (!r.ok) return this.refused.push({ index, error: r.error });
      if (this.runners.has(r.value.id)) {
        return this.refused.push({ index, error: new KhoaError('KHOA_ERR_CONFIG_INVALID', `duplicate camera id ${r.value.id}`, { path: `/cameras/${index}/id` }) });
      }
      const source = make(r.value);
      const runner = new CameraRunner(r.value, source, this.wrapSink(), this.metrics, this.log);
      source.on('error', (e) => this.emit('camera_error', r.value.id, e));
      source.on('info', (info) => this.emit('camera_info', r.value.id, info));
      this.runners.set(r.value.id, runner);
    });
  }

  private wrapSink(): CameraSink {
    const sink = this.opts.sink;
    return {
      publishFrame: (id, header, jpeg) => sink.publishFrame(id, header, jpeg),
      publishCameraState: (id, msg) => {
        this.emit('state', id, msg);
        return sink.publishCameraState(id, msg);
      },
    };
  }

  /** Entries refused by validation, with their coded errors. */
  get configErrors(): readonly { index: number; error: KhoaError }[] {
    return this.refused;
  }

  /** The cameras for the agent's registration: ids, names, models, stream size; never URLs or credentials. */
  describe(): RegisteredCamera[] {
    return [...this.runners.values()].map((r) => r.source.describe());
  }

  /** The last published state of each camera. */
  states(): Record<string, CameraStateMessage | undefined> {
    return Object.fromEntries([...this.runners].map(([id, r]) => [id, r.state()]));
  }

  stats(): Record<string, RunnerStats> {
    return Object.fromEntries([...this.runners].map(([id, r]) => [id, { ...r.stats }]));
  }

  /**
   * For the hub's `snapshot` command: publishes the camera's latest (or next) frame through the
   * sink as a keyframe. Rejects with KHOA_ERR_DEVICE_UNKNOWN, or a camera error when no frame comes.
   */
  async snapshot(cameraId: string, opts?: { maxAgeMs?: number; waitMs?: number }): Promise<void> {
    const r = this.runners.get(cameraId);
    if (!r) throw new KhoaError('KHOA_ERR_DEVICE_UNKNOWN', `no camera ${cameraId}`, { camera: cameraId });
    await r.snapshot(opts);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const { index, error } of this.refused) {
      this.log.error({ index, code: error.code, err: error.message }, 'camera entry refused');
      this.emit('config_error', index, error);
    }
    for (const r of this.runners.values()) r.start();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
  }
}
