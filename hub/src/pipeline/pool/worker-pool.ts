import { Worker } from 'node:worker_threads';
import { KhoaError, type KhoaErrorCode } from '@khoa/protocol';
import type { CameraConfigInput } from '../camera.ts';
import type { FromWorker, ToWorker, WireAlert, WireResult, WorkerInit } from './messages.ts';
import { CameraQueue, type QueuedFrame } from './camera-queue.ts';
import type { PipelineMetrics } from '../metrics.ts';
import { closeDecodeGuard, newDecodeGuard } from '../frames/decode-guard.ts';

export interface PoolOptions {
  workers: number;
  /**
   * Frames a worker holds at once (1 or 2). With 2 the next frame is already in the worker
   * when the current one is done (no round trip), and what sharp decodes (not camera JPEGs,
   * which libjpeg-turbo decodes on the worker's thread) runs on libuv's threads meanwhile.
   */
  perWorker?: number;
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

interface InFlight {
  id: number;
  cameraId: string;
  frame: QueuedFrame;
  sentAt: number;
  /** Sent as a copy, so `frame.jpeg` is still here to send again if the worker dies. */
  kept: boolean;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  /** Frames sent and not answered yet, oldest first (the worker answers in order). */
  busy: InFlight[];
  cameras: string[];
  /** Round-robin position among its cameras. */
  turn: number;
  /** Its thread has ended (stop() must not wait for an exit that already happened). */
  exited: boolean;
  /** Workers in a row at this index that ended before they were ready (the restart backs off). */
  startFailures: number;
  /** Closed before the worker is terminated: a terminate inside libjpeg-turbo aborts the process. */
  decodeGuard: Int32Array;
}

/** Longest wait before starting again a worker whose predecessors died while starting. */
const RESTART_MAX_DELAY_MS = 30_000;

const codeOf = (c: string | undefined): KhoaErrorCode => (c?.startsWith('KHOA_ERR_') ? (c as KhoaErrorCode) : 'KHOA_ERR_WORKER_FAILED');

/**
 * The worker_threads pool. Each camera is pinned to one worker (motion background and
 * tracks live there); a worker holds one frame at a time, or two with `perWorker: 2` (the
 * second is being decoded while the first is analysed), and cameras waiting for the same
 * worker take turns. The main thread only queues, routes and counts.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queues = new Map<string, CameraQueue>();
  private readonly pinned = new Map<string, Slot>();
  private readonly configs = new Map<string, CameraConfigInput>();
  private nextId = 1;
  private stopping = false;
  private readonly restartTimers = new Set<NodeJS.Timeout>();
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
    const decodeGuard = newDecodeGuard();
    const worker = new Worker(new URL('../detect/boot.mjs', import.meta.url), { workerData: { ...this.opts.init, entry, decodeGuard } satisfies WorkerInit });
    const old = this.slots[index];
    const slot: Slot = { index, worker, ready: false, busy: [], cameras: old?.cameras ?? [], turn: 0, exited: false, startFailures: old?.startFailures ?? 0, decodeGuard };
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
          slot.startFailures = 0;
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
        slot.exited = true;
        if (this.stopping || this.slots[index] !== slot) return;
        // A crashed worker loses its cameras' state and the frame it was analysing (which may be
        // what crashed it); its cameras stay pinned to the replacement.
        this.salvage(slot);
        this.opts.metrics.workerRestarts.inc();
        this.on.workerError(new KhoaError('KHOA_ERR_WORKER_FAILED', `worker ${index} exited with ${code}; restarting`, { worker: index, code }));
        const wasReady = slot.ready;
        slot.ready = false; // nothing more goes to a dead thread; its cameras' frames wait in their queues
        if (wasReady) {
          void this.spawn(index).catch(() => undefined);
          return;
        }
        // One that died before it was ready is replaced too, or its cameras would never be
        // analysed again; after a wait that grows, since it may fail every time (a model that
        // cannot load), in which case the error above repeats at that pace.
        slot.startFailures++;
        reject(new KhoaError('KHOA_ERR_WORKER_FAILED', `worker ${index} exited with ${code} while starting`, { worker: index, code }));
        const timer = setTimeout(() => {
          this.restartTimers.delete(timer);
          if (!this.stopping) void this.spawn(index).catch(() => undefined);
        }, Math.min(RESTART_MAX_DELAY_MS, 500 * 2 ** (slot.startFailures - 1)));
        timer.unref();
        this.restartTimers.add(timer);
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
    return this.slots.reduce((n, s) => n + s.busy.length, 0);
  }

  private pump(slot: Slot): void {
    const limit = this.opts.perWorker ?? 1;
    while (slot.ready && !this.stopping && slot.busy.length < limit && this.sendNext(slot));
  }

  /**
   * The frames a dead worker held: the one it was analysing is counted failed; one it only held
   * next (its decode begun, its analysis not) goes back to the front of its camera's queue for
   * the replacement, once; a frame that was already put back once is counted failed.
   */
  private salvage(slot: Slot): void {
    const [current, ...held] = slot.busy;
    slot.busy = [];
    let failed = current ? 1 : 0;
    for (const h of held) {
      const q = this.queues.get(h.cameraId);
      if (!h.kept || h.frame.requeued || !q) {
        failed++;
        continue;
      }
      if (q.requeue({ ...h.frame, requeued: true })) this.opts.metrics.frames.inc({ result: 'superseded' });
    }
    if (failed) this.opts.metrics.frames.inc({ result: 'failed' }, failed);
  }

  /** Sends the worker the next fresh frame of its cameras, in turn; false when none waits. */
  private sendNext(slot: Slot): boolean {
    const now = this.opts.now();
    const n = slot.cameras.length;
    for (let k = 0; k < n; k++) {
      const cameraId = slot.cameras[(slot.turn + k) % n]!;
      const frame = this.queues.get(cameraId)?.take(now, this.opts.maxFrameAgeMs, () => this.opts.metrics.frames.inc({ result: 'stale' }));
      if (!frame) continue;
      slot.turn = (slot.turn + k + 1) % n;
      const id = this.nextId++;
      // The frame analysed next is moved to the worker; one held behind it is copied (a frame's
      // JPEG is tens of kB), so it can go to a replacement should this worker die first.
      const kept = slot.busy.length > 0;
      slot.busy.push({ id, cameraId, frame, sentAt: now, kept });
      this.opts.metrics.stageSeconds.observe({ stage: 'queue' }, (now - frame.receivedAt) / 1000);
      this.send(slot, { type: 'frame', id, cameraId, jpeg: frame.jpeg, ts: frame.ts, ...(frame.seq !== undefined && { seq: frame.seq }) }, kept ? [] : [frame.jpeg]);
      return true;
    }
    return false;
  }

  private settle(slot: Slot, m: Extract<FromWorker, { type: 'result' | 'frame_error' }>): void {
    const at = slot.busy.findIndex((b) => b.id === m.id);
    const busy = at >= 0 ? slot.busy.splice(at, 1)[0] : undefined;
    if (busy) {
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
    for (const t of this.restartTimers) clearTimeout(t);
    this.restartTimers.clear();
    for (const q of this.queues.values()) {
      const n = q.clear();
      if (n) this.opts.metrics.frames.inc({ result: 'stopped' }, n);
    }
    await Promise.all(
      this.slots.map(async (s) => {
        if (s.exited) return;
        const exited = new Promise<void>((resolve) => s.worker.once('exit', () => resolve()));
        // Terminating a worker while it creates its ORT session aborts the whole process (a
        // native exception escapes), so a worker still loading is let finish first.
        if (!s.ready) await loadedOrGone(s.worker, 30_000);
        if (s.ready) this.send(s, { type: 'stop' });
        else void terminate(s);
        const timer = setTimeout(() => void terminate(s), 2000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

/** Terminates a worker once no frame is in libjpeg-turbo (see frames/jpeg-turbo.ts). */
async function terminate(s: Slot): Promise<void> {
  await closeDecodeGuard(s.decodeGuard);
  await s.worker.terminate();
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
