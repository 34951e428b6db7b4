import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Registry } from 'prom-client';
import { FRAME_MAX_BYTES, KhoaError, type FrameHeader } from '@khoa/protocol';
import type { CameraConfigInput, StageTimings } from './camera.ts';
import type { DetectorChoice } from './detect/load.ts';
import { defaultDecodeLimits, type DecodeLimits } from './frames/decode.ts';
import { pipelineMetrics, type PipelineMetrics } from './metrics.ts';
import { WorkerPool } from './pool/worker-pool.ts';
import { assertCameraConfig } from './config-schema.ts';
import type { WireAlert, WireResult } from './pool/messages.ts';
import type { PersonAlert } from './alert/index.ts';
import type { Box, Detection } from './types.ts';
import type { Track } from './track/index.ts';

export type { PersonAlert } from './alert/index.ts';
export type { CameraConfigInput } from './camera.ts';
export type { Box, Detection, Polygon } from './types.ts';

export interface PipelineOptions {
  /** Worker threads, one ORT session each (default: min(2, cores)). */
  workers?: number;
  /** Detector and its options (default NanoDet-m, hub/models/nanodet-m.onnx). */
  detector?: DetectorChoice;
  /** Most regions per ORT run (default 4). */
  maxBatch?: number;
  /** Frames kept per camera while its worker is busy; the newest win (default 1). */
  queueDepth?: number;
  /**
   * Frames a worker holds at once (default 2): the second one's JPEG decode runs while the
   * first one is in inference. 1 decodes and infers strictly in turn (for comparison).
   */
  framesPerWorker?: number;
  /** Frames that waited longer than this are dropped unanalysed (default 2000 ms). */
  maxFrameAgeMs?: number;
  /** Larger JPEGs are refused before decoding (default protocol FRAME_MAX_BYTES). */
  maxFrameBytes?: number;
  decode?: Partial<DecodeLimits>;
  /** Settings for every camera not configured with `configureCamera`. */
  cameraDefaults?: CameraConfigInput;
  /**
   * Settings of particular cameras (zones, masks, sensitivity...), over `cameraDefaults`, by
   * `deviceId/cameraId` for frames the hub offers, or by the id given to `submit`. Applied when
   * the camera's first frame arrives; the hub's `pipeline.cameras` setting.
   */
  cameras?: Record<string, CameraConfigInput>;
  /** prom-client registry for the pipeline's metrics (default: prom-client's global registry). */
  registry?: Registry;
  now?: () => number;
}

/** Where a frame came from when the hub offers it (same shape as hub/src/ingest FrameSource). */
export interface FrameOrigin {
  householdId: string;
  deviceId: string;
  cameraId: string;
  receivedAt: number;
}

export interface PipelineAlert extends PersonAlert {
  /** Set when the frame came through `offer` (MQTT ingest). */
  origin?: FrameOrigin;
}

export type CameraState = 'blinded' | 'clear' | 'recalibrated';

export interface CameraStateEvent {
  cameraId: string;
  /** blinded: view covered or flat for a while; clear: it came back; recalibrated: lighting changed. */
  state: CameraState;
  ts: number;
  origin?: FrameOrigin;
}

/** One analysed frame (for dashboards, the CLI, tests). Boxes in source pixels. */
export interface FrameEvent {
  cameraId: string;
  seq?: number;
  ts: number;
  width: number;
  height: number;
  motion: boolean;
  motionBoxes: Box[];
  detections: Detection[];
  tracks: Track[];
  blinded: boolean;
  /** ms per stage, plus time queued on the main thread. */
  timings: StageTimings & { queue: number };
}

export interface PipelineEvents {
  alert: [PipelineAlert];
  camera_state: [CameraStateEvent];
  frame: [FrameEvent];
  /** A frame that could not be used (bad JPEG, too large); already counted. */
  frame_error: [{ cameraId: string; error: KhoaError }];
  /** A worker failed (it is restarted) or could not load the model. */
  worker_error: [KhoaError];
}

export interface PipelineStats {
  cameras: number;
  queued: number;
  inFlight: number;
  /** Bytes of per-camera pipeline state (motion planes), as last reported by the workers. */
  cameraStateBytes: number;
}

export interface Pipeline {
  /** Resolves when every worker has loaded the model (frames submitted before simply wait). */
  ready(): Promise<void>;
  /**
   * Queues one JPEG frame of a camera. Returns false when it was refused at once (empty,
   * not a JPEG, too large, pipeline closed); the outcome of accepted frames arrives as events.
   * The bytes are copied once into a transferable buffer, so the caller may reuse its Buffer.
   */
  submit(cameraId: string, jpeg: Uint8Array, header?: Partial<Pick<FrameHeader, 'seq' | 'ts'>>): boolean;
  /** The hub's FrameSink hook (hub/src/ingest/frame-sink.ts): camera key `household/device/camera`. */
  offer(source: FrameOrigin, frame: { header: FrameHeader; jpeg: Uint8Array }): boolean;
  /**
   * Per-camera motion sensitivity, masks, zones, tracker settings; resets that camera's state.
   * Throws KHOA_ERR_CONFIG_INVALID for values out of range or unknown keys (config-schema.ts).
   */
  configureCamera(cameraId: string, config: CameraConfigInput): void;
  /** Drops a camera's queue and state (camera removed). */
  forgetCamera(cameraId: string): void;
  on<K extends keyof PipelineEvents>(event: K, listener: (...args: PipelineEvents[K]) => void): this;
  off<K extends keyof PipelineEvents>(event: K, listener: (...args: PipelineEvents[K]) => void): this;
  stats(): PipelineStats;
  readonly metrics: PipelineMetrics;
  /** Stops accepting frames, drops queued ones, stops the workers. */
  close(): Promise<void>;
}

/**
 * A camera's settings over the defaults: key by key, and within `motion` and `tracker` too, so
 * a camera that sets only `motion.blindedAfterMs` keeps the default sensitivity. The shorthands
 * (`sensitivity`, `masks`, `zones`) are folded into their nested places first, so the camera's
 * value wins whichever of the two forms either side used.
 */
function withDefaults(defaults: CameraConfigInput | undefined, own: CameraConfigInput | undefined): CameraConfigInput {
  const fold = ({ sensitivity, masks, zones, motion, tracker, ...rest }: CameraConfigInput = {}): CameraConfigInput => ({
    ...rest,
    motion: { ...motion, ...(sensitivity !== undefined && { sensitivity }), ...(masks && { masks }) },
    tracker: { ...tracker, ...(zones && { zones }) },
  });
  const d = fold(defaults), o = fold(own);
  return { ...d, ...o, motion: { ...d.motion, ...o.motion }, tracker: { ...d.tracker, ...o.tracker } };
}

/** Camera key for frames offered by the hub's ingest. */
export const cameraKey = (o: { householdId: string; deviceId: string; cameraId: string }): string => `${o.householdId}/${o.deviceId}/${o.cameraId}`;

/** Starts the frame pipeline: a worker pool with the detector loaded in each worker. */
export function createPipeline(options: PipelineOptions = {}): Pipeline {
  // All checked before any worker starts: a bad zone is a start-up error, not a silent no-alert.
  if (options.cameraDefaults) assertCameraConfig(options.cameraDefaults, 'pipeline.cameraDefaults');
  for (const [key, c] of Object.entries(options.cameras ?? {})) assertCameraConfig(c, `pipeline.cameras.${key}`);
  for (const [name, v, min, max] of [['workers', options.workers, 1, 64], ['maxBatch', options.maxBatch, 1, 32], ['queueDepth', options.queueDepth, 1, 100], ['framesPerWorker', options.framesPerWorker, 1, 2]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= min && v <= max)) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `${name} must be an integer in [${min}, ${max}]`, { [name]: v });
  }
  const now = options.now ?? Date.now;
  const metrics = pipelineMetrics(options.registry);
  const maxFrameBytes = options.maxFrameBytes ?? FRAME_MAX_BYTES;
  const emitter = new EventEmitter();
  const origins = new Map<string, FrameOrigin>();
  const configured = new Set<string>();
  /** Pipeline camera key → its key in `options.cameras` (`deviceId/cameraId`), for offered frames. */
  const settingsKeys = new Map<string, string>();
  let closed = false;

  const emitSafe = <K extends keyof PipelineEvents>(event: K, ...args: PipelineEvents[K]): void => {
    // A failing listener (the hub's alert rule, say) must not break the pipeline.
    try {
      emitter.emit(event, ...args);
    } catch (err) {
      if (event !== 'worker_error') emitSafe('worker_error', new KhoaError('KHOA_ERR_WORKER_FAILED', `a "${event}" listener threw: ${(err as Error).message}`, {}, { cause: err }));
    }
  };

  const onResult = (cameraId: string, frame: { ts: number; seq?: number }, r: WireResult, alerts: WireAlert[], queueMs: number): void => {
    const origin = origins.get(cameraId);
    const o = origin ? { origin } : {};
    for (const t of r.timings ? (Object.entries(r.timings) as [string, number | undefined][]) : []) {
      if (t[1] !== undefined) metrics.stageSeconds.observe({ stage: t[0] }, t[1] / 1000);
    }
    const total = r.timings.decode + r.timings.motion + r.timings.detect + r.timings.track + r.timings.snapshot;
    metrics.stageSeconds.observe({ stage: 'total' }, total / 1000);
    for (const e of r.events) {
      const state: CameraState = e === 'blinded' ? 'blinded' : e === 'unblinded' ? 'clear' : 'recalibrated';
      emitSafe('camera_state', { cameraId, state, ts: frame.ts, ...o });
    }
    for (const a of alerts) {
      metrics.alerts.inc();
      emitSafe('alert', { cameraId, trackId: a.trackId, score: a.score, box: a.box, ts: a.ts, ...(a.seq !== undefined && { seq: a.seq }), snapshot: Buffer.from(a.snapshot), ...o });
    }
    if (emitter.listenerCount('frame') > 0) {
      emitSafe('frame', {
        cameraId, ts: frame.ts, ...(frame.seq !== undefined && { seq: frame.seq }), width: r.width, height: r.height,
        motion: r.motion, motionBoxes: r.motionBoxes, detections: r.detections, tracks: r.tracks, blinded: r.blinded,
        timings: { ...r.timings, queue: queueMs },
      });
    }
  };

  const pool = new WorkerPool(
    {
      workers: options.workers ?? Math.max(1, Math.min(2, availableParallelism())),
      queueDepth: options.queueDepth ?? 1,
      perWorker: options.framesPerWorker ?? 2,
      maxFrameAgeMs: options.maxFrameAgeMs ?? 2000,
      init: { detector: options.detector ?? { type: 'nanodet' }, maxBatch: options.maxBatch ?? 4, decode: { ...defaultDecodeLimits, ...options.decode } },
      metrics,
      now,
    },
    {
      result: onResult,
      frameError: (cameraId, error) => emitSafe('frame_error', { cameraId, error }),
      workerError: (error) => emitSafe('worker_error', error),
    },
  );

  const refuse = (cameraId: string, code: 'KHOA_ERR_IMAGE_DECODE' | 'KHOA_ERR_PAYLOAD_TOO_LARGE' | 'KHOA_ERR_FRAME_INVALID', detail: string): false => {
    metrics.frames.inc({ result: 'invalid' });
    emitSafe('frame_error', { cameraId, error: new KhoaError(code, detail, { cameraId }) });
    return false;
  };

  const pipeline: Pipeline = {
    ready: () => pool.ready,
    submit(cameraId, jpeg, header = {}) {
      if (closed) {
        metrics.frames.inc({ result: 'stopped' });
        return false;
      }
      if (typeof cameraId !== 'string' || cameraId.length === 0 || cameraId.length > 256) return refuse(String(cameraId), 'KHOA_ERR_FRAME_INVALID', 'camera id must be a non-empty string');
      if (!(jpeg instanceof Uint8Array) || jpeg.byteLength < 4) return refuse(cameraId, 'KHOA_ERR_IMAGE_DECODE', 'empty frame');
      if (jpeg.byteLength > maxFrameBytes) return refuse(cameraId, 'KHOA_ERR_PAYLOAD_TOO_LARGE', `${jpeg.byteLength} bytes > ${maxFrameBytes}`);
      if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return refuse(cameraId, 'KHOA_ERR_IMAGE_DECODE', 'not a JPEG (no SOI marker)');
      if ((header.ts !== undefined && !Number.isFinite(header.ts)) || (header.seq !== undefined && !(Number.isInteger(header.seq) && header.seq >= 0))) {
        return refuse(cameraId, 'KHOA_ERR_FRAME_INVALID', 'header ts must be a number and seq a non-negative integer');
      }
      if (!configured.has(cameraId)) {
        configured.add(cameraId);
        const own = options.cameras?.[settingsKeys.get(cameraId) ?? cameraId];
        if (own || options.cameraDefaults) pool.configure(cameraId, withDefaults(options.cameraDefaults, own));
      }
      // One copy into an exact-size ArrayBuffer: the caller's Buffer is usually a view into a
      // pooled or packet buffer that cannot be transferred; this one is then moved, not copied.
      const owned = new Uint8Array(jpeg.byteLength);
      owned.set(jpeg);
      const receivedAt = now();
      pool.enqueue(cameraId, { jpeg: owned.buffer, ts: header.ts ?? receivedAt, ...(header.seq !== undefined && { seq: header.seq }), receivedAt });
      return true;
    },
    offer(source, frame) {
      // Called on the broker's hot path: never throws, false means dropped (and counted).
      try {
        const id = cameraKey(source);
        origins.set(id, source);
        if (!configured.has(id)) settingsKeys.set(id, `${source.deviceId}/${source.cameraId}`);
        return pipeline.submit(id, frame.jpeg, { seq: frame.header.seq, ts: frame.header.ts });
      } catch (err) {
        metrics.frames.inc({ result: 'failed' });
        emitSafe('worker_error', new KhoaError('KHOA_ERR_WORKER_FAILED', `offer failed: ${(err as Error).message}`, {}, { cause: err }));
        return false;
      }
    },
    configureCamera(cameraId, config) {
      assertCameraConfig(config, cameraId);
      configured.add(cameraId);
      pool.configure(cameraId, withDefaults(options.cameraDefaults, config));
    },
    forgetCamera(cameraId) {
      configured.delete(cameraId);
      settingsKeys.delete(cameraId);
      origins.delete(cameraId);
      pool.forget(cameraId);
    },
    on(event, listener) {
      emitter.on(event, listener as (...a: unknown[]) => void);
      return pipeline;
    },
    off(event, listener) {
      emitter.off(event, listener as (...a: unknown[]) => void);
      return pipeline;
    },
    stats() {
      let bytes = 0;
      for (const b of pool.cameraBytes.values()) bytes += b;
      return { cameras: pool.cameraBytes.size, queued: pool.queued(), inFlight: pool.inFlight(), cameraStateBytes: bytes };
    },
    metrics,
    async close() {
      if (closed) return;
      closed = true;
      await pool.stop();
    },
  };
  return pipeline;
}
