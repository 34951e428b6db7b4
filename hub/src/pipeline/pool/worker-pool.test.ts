import { readFile } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
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
});
