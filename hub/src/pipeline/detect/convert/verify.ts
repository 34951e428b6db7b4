import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import * as ort from 'onnxruntime-node';
import { KhoaError } from '@khoa/protocol';
import { decodeWithSharp } from '../../frames/decode.ts';
import { regionToTensor } from '../preprocess.ts';
import { decodeOutputs, normalisation } from '../detectors/nanodet.ts';
import { nms } from '../boxes.ts';
import type { Detection } from '../../types.ts';
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfConverter from '@tensorflow/tfjs-converter';

const N = 416;

/** Output name the converter gives each NanoDet head, from its shape [1, cells, 80|44]. */
export function nanodetOutputName(_tfName: string, shape: number[]): string {
  const cells = shape[1] ?? 0;
  const kind = shape[2] === 80 ? 'cls' : shape[2] === 44 ? 'box' : undefined;
  if (!kind || !Number.isInteger(Math.sqrt(cells))) throw new KhoaError('KHOA_ERR_MODEL_LOAD', `unexpected NanoDet output shape ${shape.join('x')}`);
  return `${kind}_${N / Math.sqrt(cells)}`;
}

/**
 * The centre square of an image, as the model input tensor (how the reference is fed). Decoded
 * by sharp, as when the reference was recorded: the comparison is of models, not decoders.
 */
export async function centreSquareTensor(file: string): Promise<Float32Array> {
  const img = await decodeWithSharp(await readFile(file));
  const size = Math.min(img.width, img.height);
  const out = new Float32Array(3 * N * N);
  regionToTensor(img, { x: (img.width - size) / 2, y: (img.height - size) / 2, size }, N, normalisation, out, 0);
  return out;
}

export interface ImageComparison {
  image: string;
  /** Largest absolute difference over all six output tensors. */
  maxAbsDiff: number;
  reference: Detection[];
  converted: Detection[];
}

const round = (d: Detection): Detection => ({ label: d.label, score: Math.round(d.score * 1e4) / 1e4, box: d.box.map((v) => Math.round(v * 10) / 10) as Detection['box'] });
const people = (outs: Record<string, { data: unknown }>): Detection[] => nms(decodeOutputs(outs, 0, 0.3), 0.5).map(round);

/** Runs the ONNX file on each image's centre square; returns its NanoDet outputs by name. */
export async function runOnnx(onnxPath: string, inputs: Float32Array[]): Promise<Record<string, Float32Array>[]> {
  const session = await ort.InferenceSession.create(onnxPath, { intraOpNumThreads: 1 });
  try {
    const results: Record<string, Float32Array>[] = [];
    for (const x of inputs) {
      const out = await session.run({ input: new ort.Tensor('float32', x, [1, 3, N, N]) });
      results.push(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array])));
    }
    return results;
  } finally {
    await session.release();
  }
}

/**
 * Runs the original TFJS graph (pure-JS CPU backend, a dev dependency: ~9 s per image) and
 * the converted ONNX model on the same inputs and compares every output value and the
 * decoded person boxes. Returns undefined when TFJS is not installed (production installs).
 */
export async function compareWithTfjs(modelJson: string, weights: Uint8Array, onnxPath: string, images: string[]): Promise<ImageComparison[] | undefined> {
  let tf: typeof TfCore;
  let tfc: typeof TfConverter;
  try {
    tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    tfc = await import('@tensorflow/tfjs-converter');
  } catch {
    return undefined;
  }
  await tf.setBackend('cpu');
  const json = JSON.parse(modelJson) as { modelTopology: object; weightsManifest: { weights: TfCore.io.WeightsManifestEntry[] }[] };
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const model = await tfc.loadGraphModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((m) => m.weights), weightData }),
  );
  const inputs = await Promise.all(images.map(centreSquareTensor));
  const onnx = await runOnnx(onnxPath, inputs);
  const out: ImageComparison[] = [];
  for (let k = 0; k < images.length; k++) {
    const x = tf.tensor(inputs[k]!, [1, 3, N, N]);
    const tensors = model.execute(x) as TfCore.Tensor[];
    const ref: Record<string, { data: Float32Array }> = {};
    let maxAbsDiff = 0;
    tensors.forEach((t, i) => {
      const name = nanodetOutputName(model.outputs[i]?.name ?? '', t.shape);
      const a = t.dataSync() as Float32Array;
      const b = onnx[k]![name];
      if (!b || b.length !== a.length) throw new KhoaError('KHOA_ERR_MODEL_LOAD', `converted model lacks ${name}`);
      for (let j = 0; j < a.length; j++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[j]! - b[j]!));
      ref[name] = { data: a };
    });
    tf.dispose([x, ...tensors]);
    const conv = Object.fromEntries(Object.entries(onnx[k]!).map(([n, d]) => [n, { data: d }]));
    out.push({ image: basename(images[k]!), maxAbsDiff, reference: people(ref), converted: people(conv) });
  }
  model.dispose();
  return out;
}

/** Person boxes of the ONNX model on each image's centre square (for a recorded reference check). */
export async function onnxPeople(onnxPath: string, images: string[]): Promise<Detection[][]> {
  const inputs = await Promise.all(images.map(centreSquareTensor));
  const outs = await runOnnx(onnxPath, inputs);
  return outs.map((o) => people(Object.fromEntries(Object.entries(o).map(([n, d]) => [n, { data: d }]))));
}
