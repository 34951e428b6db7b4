import type { TSchema, Static } from '@sinclair/typebox';
import type { Detection } from '../types.ts';
import type { Normalisation } from './preprocess.ts';

/**
 * A person detector: takes a batch of square, already normalised inputs and returns what
 * it found in each, in input pixels. Preprocessing parameters are the detector's own, so
 * the region sampler can write straight into its input tensor.
 */
export interface Detector {
  readonly key: string;
  /** Side of the square model input, in pixels. */
  readonly inputSize: number;
  readonly normalisation: Normalisation;
  /** A tensor for `n` inputs, reusable across runs (NCHW float32). */
  allocate(n: number): Float32Array;
  /** Runs the model on the first `n` inputs of `batch`; one detection list per input. */
  detect(batch: Float32Array, n: number): Promise<Detection[][]>;
  /** The model's bare inference on the same batch, for measuring the pipeline's overhead. */
  runRaw(batch: Float32Array, n: number): Promise<void>;
  dispose(): Promise<void>;
}

/** One detector implementation: one file in `detectors/`, one line in `detectors/index.ts`. */
export interface DetectorPlugin<S extends TSchema = TSchema> {
  key: string;
  /** Options with their defaults and ranges (validated before `create`). */
  configSchema: S;
  create(config: Static<S>): Promise<Detector>;
}
