import { readFileSync } from 'node:fs';
import { KhoaError } from '@khoa/protocol';

/** The exports of sampling.wasm (see sampling.wat for what each does). */
export interface SamplingKernels {
  memory: WebAssembly.Memory;
  columnSums(src: number, stride: number, k: number, len: number, dst: number): void;
  blockRow(
    sums: number, xs: number, n: number, k: number, out: number, plane: number, c0: number, c2: number, inv: number,
    m0: number, m1: number, m2: number, s0: number, s1: number, s2: number,
  ): void;
  copyRow(src: number, first: number, end: number, out: number, plane: number, c0: number, c2: number, m0: number, m1: number, m2: number, s0: number, s1: number, s2: number): void;
}

export const samplingWasmPath = new URL('./sampling.wasm', import.meta.url);

let instance: SamplingKernels | undefined;

/**
 * The kernels of this thread: one instance (and one linear memory) per thread, made on first
 * use, so a pipeline worker keeps its scratch memory between frames instead of allocating it.
 */
export function samplingKernels(): SamplingKernels {
  if (instance) return instance;
  try {
    const module = new WebAssembly.Module(readFileSync(samplingWasmPath));
    instance = new WebAssembly.Instance(module).exports as unknown as SamplingKernels;
  } catch (err) {
    throw new KhoaError('KHOA_ERR_WORKER_FAILED', `cannot load ${samplingWasmPath.pathname}: ${(err as Error).message}`, { path: samplingWasmPath.pathname }, { cause: err });
  }
  return instance;
}

/** Grows the kernels' memory to at least `bytes` (never shrinks: the next frame needs as much). */
export function reserve(k: SamplingKernels, bytes: number): ArrayBuffer {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65_536));
  return k.memory.buffer;
}
