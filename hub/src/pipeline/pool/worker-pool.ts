import { Worker } from 'node:worker_threads';
import { KhoaError, type KhoaErrorCode } from '@khoa/protocol';
import type { CameraConfigInput } from '../camera.ts';
import type { FromWorker, ToWorker, WireAlert, WireResult, WorkerInit } from './messages.ts';
import { CameraQueue, type QueuedFrame } from './camera-queue.ts';
import type { PipelineMetrics } from '../metrics.ts';

export interface PoolOptions {
  workers: number;
  queueDepth: number;
  maxFrameAgeMs: number;
  init: Omit<WorkerInit, 'entry'>;
  metrics: PipelineMetrics;
  now: () => number;
}

export interface PoolHandlers {
  result(cameraId: string, frame: QueuedFrame, result: WireResult, alerts: WireAlert[], queueMs: number): void;
  frameError(cameraId: string, error: KhoaError): void;
  workerError(error: KhoaError): void;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  busy: { id: number; cameraId: string; frame: QueuedFrame; sentAt: number } | undefined;
  cameras: string[];
  /** Round-robin position among its cameras. */
  turn: number;
}

const codeOf = (c: string | undefined): KhoaErrorCode => (c?.startsWith('KHOA_ERR_') ? (c as KhoaErrorCode) : 'KHOA_ERR_WORKER_FAILED');

/**
 * The worker_threads pool. Each camera is pinned to one worker (motion background and
 * tracks live there); a worker gets one frame at a time, and cameras waiting for the same
 * worker take turns. The main thread only queues, routes and counts.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queues = new Map<string, CameraQueue>();
  private readonly pinned = new Map<string, Slot>();
  private readonly configs = new Map<string, CameraConfigInput>();
  private nextId = 1;
  private stopping = false;
  readonly ready: Promise<void>;
  /** Bytes of per-camera state each worker last reported, by camera. */
  readonly cameraBytes = new Map<string, number>();

  constructor(private readonly opts: PoolOptions, private readonly on: PoolHandlers) {
    const readies: Promise<void>[] = [];
    for (let i = 0; i < opts.workers; i++) readies.push(this.spawn(i));
    this.ready = Promise.all(readies).then(() => undefined);
    // Nobody may be awaiting `ready` (frames just queue); never let it reject unhandled.
    this.ready.catch(() => undefined);
  }

  private spawn(index: number): Promise<void> {
    const entry = new URL('../detect/worker.ts', import.meta.url).href;
    const worker = new Worker(new URL('../detect/boot.mjs', import.meta.url), { workerData: { ...this.opts.init, entry } satisfies WorkerInit });
    const old = this.slots[index];
    const slot: Slot = { index, worker, ready: false, busy: undefined, cameras: old?.cameras ?? [], turn: 0 };
    this.slots[index] = slot;
    for (const id of slot.cameras) {
      this.pinned.set(id, slot);
      const config = this.configs.get(id);
      if (config) this.send(slot, { type: 'configure', cameraId: id, config });
    }
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          slot.ready = true;
          resolve();
          this.pump(slot);
        } else if (m.type === 'fatal') {
          const err = new KhoaError(codeOf(m.error.code), m.error.message, { worker: index });
          reject(err);
          this.on.workerError(err);
        } else this.settle(slot, m);
      });
      worker.on('error', (e) => {
        const err = new KhoaError('KHOA_ERR_WORKER_FAILED', e.message, { worker: index }, { cause: e });
        reject(err);
        this.on.workerError(err);
      });
      worker.on('exit', (code) => {
        if (this.stopping || this.slots[index] !== slot) return;
        // A crashed worker loses its cameras' state and its frame in flight; its cameras stay pinned to the replacement.
        if (slot.busy) this.opts.metrics.frames.inc({ result: 'failed' });
        this.opts.metrics.workerRestarts.inc();
        this.on.workerError(new KhoaError('KHOA_ERR_WORKER_FAILED', `worker ${index} exited with ${code}; restarting`, { worker: index, code }));
        if (slot.ready) void this.spawn(index).catch(() => undefined);
      });
    });
  }

  private send(slot: Slot, m: ToWorker, transfer: ArrayBuffer[] = []): void {
    slot.worker.postMessage(m, transfer);
  }

  private slotFor(cameraId: string): Slot {
    let slot = this.pinned.get(cameraId);
    if (!slot) {
      // Least-loaded worker; ties go to the lowest index.
      slot = this.slots.reduce((a, b) => (b.cameras.length < a.cameras.length ? b : a));
      slot.cameras.push(cameraId);
      this.pinned.set(cameraId, slot);
      this.opts.metrics.cameras.set(this.pinned.size);
    }
    return slot;
  }

  configure(cameraId: string, config: CameraConfigInput): void {
    this.configs.set(cameraId, config);
    this.send(this.slotFor(cameraId), { type: 'configure', cameraId, config });
  }

  forget(cameraId: string): void {
    const slot = this.pinned.get(cameraId);
    this.configs.delete(cameraId);
    this.cameraBytes.delete(cameraId);
    const dropped = this.queues.get(cameraId)?.clear() ?? 0;
    if (dropped) this.opts.metrics.frames.inc({ result: 'stopped' }, dropped);
    this.queues.delete(cameraId);
    if (!slot) return;
    slot.cameras = slot.cameras.filter((c) => c !== cameraId);
    this.pinned.delete(cameraId);
    this.opts.metrics.cameras.set(this.pinned.size);
    this.send(slot, { type: 'forget', cameraId });
  }

  enqueue(cameraId: string, frame: QueuedFrame): void {
    let q = this.queues.get(cameraId);
    if (!q) this.queues.set(cameraId, (q = new CameraQueue(this.opts.queueDepth)));
    if (q.push(frame)) this.opts.metrics.frames.inc({ result: 'superseded' });
    this.pump(this.slotFor(cameraId));
  }

  /** Frames waiting, all cameras. */
  queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** Frames sent to workers and not answered yet. */
  inFlight(): number {
    return this.slots.filter((s) => s.busy).length;
  }

  private pump(slot: Slot): void {
    if (!slot.ready || slot.busy || this.stopping) return;
    const now = this.opts.now();
    const n = slot.cameras.length;
    for (let k = 0; k < n; k++) {
      const cameraId = slot.cameras[(slot.turn + k) % n]!;
      const frame = this.queues.get(cameraId)?.take(now, this.opts.maxFrameAgeMs, () => this.opts.metrics.frames.inc({ result: 'stale' }));
      if (!frame) continue;
      slot.turn = (slot.turn + k + 1) % n;
      const id = this.nextId++;
      slot.busy = { id, cameraId, frame, sentAt: now };
      this.opts.metrics.stageSeconds.observe({ stage: 'queue' }, (now - frame.receivedAt) / 1000);
      this.send(slot, { type: 'frame', id, cameraId, jpeg: frame.jpeg, ts: frame.ts, ...(frame.seq !== undefined && { seq: frame.seq }) }, [frame.jpeg]);
      return;
    }
  }

  private settle(slot: Slot, m: Extract<FromWorker, { type: 'result' | 'frame_error' }>): void {
    const busy = slot.busy;
    slot.busy = undefined;
    if (busy && busy.id === m.id) {
      if (m.type === 'result') {
        this.cameraBytes.set(m.cameraId, m.cameraBytes);
        this.opts.metrics.frames.inc({ result: 'analysed' });
        this.on.result(m.cameraId, busy.frame, m.result, m.alerts, busy.sentAt - busy.frame.receivedAt);
      } else {
        this.opts.metrics.frames.inc({ result: 'invalid' });
        this.on.frameError(m.cameraId, new KhoaError(codeOf(m.error.code), m.error.message, { cameraId: m.cameraId }));
      }
    }
    this.pump(slot);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const q of this.queues.values()) {
      const n = q.clear();
      if (n) this.opts.metrics.frames.inc({ result: 'stopped' }, n);
    }
    await Promise.all(
      this.slots.map(async (s) => {
        const exited = new Promise<void>((resolve) => s.worker.once('exit', () => resolve()));
        // Terminating a worker while it creates its ORT session aborts the whole process (a
        // native exception escapes), so a worker still loading is let finish first.
        if (!s.ready) await loadedOrGone(s.worker, 30_000);
        if (s.ready) this.send(s, { type: 'stop' });
        else void s.worker.terminate();
        const timer = setTimeout(() => void s.worker.terminate(), 2000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

/** Resolves when the worker reports ready or fatal, exits, or `ms` pass. */
function loadedOrGone(worker: Worker, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', done);
      resolve();
    }
    function onMessage(m: FromWorker) {
      if (m.type === 'ready' || m.type === 'fatal') done();
    }
    worker.on('message', onMessage);
    worker.once('exit', done);
  });
}
