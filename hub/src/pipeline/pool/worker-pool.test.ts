import { readFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import workerThreads, { type Worker, type WorkerOptions } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { KhoaError } from '@khoa/protocol';
import { WorkerPool } from './worker-pool.ts';
import { pipelineMetrics } from '../metrics.ts';
import { defaultDecodeLimits } from '../frames/decode.ts';
import { media } from '../testing/media.ts';

describe('worker pool', () => {
  it('restarts a worker that dies and goes on analysing its cameras', async () => {
    const registry = new Registry();
    const metrics = pipelineMetrics(registry);
    const results: string[] = [];
    const errors: KhoaError[] = [];
    const pool = new WorkerPool(
      { workers: 1, queueDepth: 1, maxFrameAgeMs: 60_000, init: { detector: { type: 'nanodet' }, maxBatch: 4, decode: defaultDecodeLimits }, metrics, now: Date.now },
      { result: (id) => results.push(id), frameError: () => undefined, workerError: (e) => errors.push(e) },
    );
    try {
      await pool.ready;
      const jpeg = await readFile(media('messi5.jpg'));
      const frame = (): { jpeg: ArrayBuffer; ts: number; receivedAt: number } => ({ jpeg: Uint8Array.from(jpeg).buffer, ts: Date.now(), receivedAt: Date.now() });
      const waitFor = async (n: number): Promise<void> => {
        for (let i = 0; i < 600 && results.length < n; i++) await new Promise((r) => setTimeout(r, 50));
      };
      pool.enqueue('cam', frame());
      await waitFor(1);
      // Kill the worker from outside, as a native crash would.
      const slot = (pool as unknown as { slots: { worker: Worker }[] }).slots[0]!;
      await slot.worker.terminate();
      for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(errors[0]?.code).toBe('KHOA_ERR_WORKER_FAILED');
      pool.enqueue('cam', frame());
      await waitFor(2);
      expect(results).toEqual(['cam', 'cam']);
      expect(await registry.metrics()).toMatch(/khoa_pipeline_worker_restarts_total 1/);
    } finally {
      await pool.stop();
    }
  }, 60_000);

  it('with two frames per worker, sends the next frame while one is analysed and answers both in order', async () => {
    const registry = new Registry();
    const metrics = pipelineMetrics(registry);
    const results: string[] = [];
    const errors: string[] = [];
    const pool = new WorkerPool(
      { workers: 1, perWorker: 2, queueDepth: 1, maxFrameAgeMs: 60_000, init: { detector: { type: 'nanodet' }, maxBatch: 4, decode: defaultDecodeLimits }, metrics, now: Date.now },
      { result: (id, f) => results.push(`${id}:${f.seq}`), frameError: (id, e) => errors.push(`${id}:${e.code}`), workerError: () => undefined },
    );
    try {
      await pool.ready;
      const jpeg = await readFile(media('messi5.jpg'));
      const frame = (seq: number, bytes: Uint8Array = jpeg) => ({ jpeg: Uint8Array.from(bytes).buffer, ts: Date.now(), seq, receivedAt: Date.now() });
      pool.enqueue('a', frame(1));
      pool.enqueue('b', frame(1, jpeg.subarray(0, jpeg.length >> 1))); // truncated: its decode fails
      pool.enqueue('c', frame(1));
      // Two are with the worker at once; the third waits in its camera's queue.
      expect(pool.inFlight()).toBe(2);
      expect(pool.queued()).toBe(1);
      for (let i = 0; i < 600 && results.length + errors.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
      // A failed decode of the frame held second spoils neither the first nor the next.
      expect(results).toEqual(['a:1', 'c:1']);
      expect(errors).toEqual(['b:KHOA_ERR_IMAGE_DECODE']);
      expect(pool.inFlight()).toBe(0);
    } finally {
      await pool.stop();
    }
  }, 60_000);

  it('after a crash, gives the frame the dead worker held next to its replacement: one frame lost, not two', async () => {
    // The first worker runs through an entry that exits right after its first result.
    const original = workerThreads.Worker;
    let made = 0;
    workerThreads.Worker = class extends original {
      constructor(filename: string | URL, options?: WorkerOptions) {
        const data = options?.workerData as { entry: string };
        const crashing = made++ === 0 ? { entry: new URL('../testing/exit-after-result-entry.ts', import.meta.url).href, realEntry: data.entry } : {};
        super(filename, { ...options, workerData: { ...data, ...crashing } });
      }
    };
    syncBuiltinESMExports();
    const registry = new Registry();
    const results: string[] = [];
    const pool = new WorkerPool(
      { workers: 1, perWorker: 2, queueDepth: 1, maxFrameAgeMs: 60_000, init: { detector: { type: 'nanodet' }, maxBatch: 4, decode: defaultDecodeLimits }, metrics: pipelineMetrics(registry), now: Date.now },
      { result: (id) => results.push(id), frameError: () => undefined, workerError: () => undefined },
    );
    try {
      await pool.ready;
      workerThreads.Worker = original;
      syncBuiltinESMExports();
      const jpeg = await readFile(media('messi5.jpg'));
      const frame = () => ({ jpeg: Uint8Array.from(jpeg).buffer, ts: Date.now(), receivedAt: Date.now() });
      // a is analysed, b held next; c waits, and is sent when a's result comes, just as the
      // worker dies: b was then being analysed (lost), c only held (given to the replacement).
      for (const id of ['a', 'b', 'c']) pool.enqueue(id, frame());
      for (let i = 0; i < 600 && results.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(results).toEqual(['a', 'c']);
      const text = await registry.metrics();
      expect(text).toMatch(/khoa_pipeline_frames_total\{result="failed"\} 1\n/);
      expect(text).toMatch(/khoa_pipeline_worker_restarts_total 1/);
    } finally {
      workerThreads.Worker = original;
      syncBuiltinESMExports();
      await pool.stop();
    }
  }, 60_000);
});
