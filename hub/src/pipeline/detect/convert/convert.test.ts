import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfc from '@tensorflow/tfjs-converter';
import { describe, expect, it } from 'vitest';
import { readTfjsGraph } from './tfjs-graph.ts';
import { convertTfjsToOnnx } from './tfjs-to-onnx.ts';
import { encodeOnnxModel } from './onnx-writer.ts';
import { compareWithTfjs, onnxPeople } from './verify.ts';
import { media } from '../../testing/media.ts';
import type { Detection } from '../../types.ts';

const models = (f: string): string => fileURLToPath(new URL(`../../../../models/${f}`, import.meta.url));

interface Record_ {
  sha256: string;
  verification: { images: { image: string; maxAbsDiff: number; reference: Detection[] }[] };
}

describe('converted NanoDet-m (hub/models)', () => {
  it('is the file its record describes', async () => {
    const record = JSON.parse(await readFile(models('nanodet-m.json'), 'utf8')) as Record_;
    const bytes = await readFile(models('nanodet-m.onnx'));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(record.sha256);
    expect(bytes.length).toBeLessThan(20 * 1024 * 1024);
  });

  it('reproduces the TFJS original on real images (reference recorded by khoa model-convert)', async () => {
    // model-convert ran the original TFJS graph (tfjs CPU backend, ~9 s an image, and a
    // 145 MB package download) and recorded its person boxes; ORT must give the same.
    const record = JSON.parse(await readFile(models('nanodet-m.json'), 'utf8')) as Record_;
    const images = record.verification.images;
    expect(images.length).toBeGreaterThanOrEqual(3);
    expect(images.some((i) => i.reference.length > 0) && images.some((i) => i.reference.length === 0)).toBe(true);
    const ours = await onnxPeople(models('nanodet-m.onnx'), images.map((i) => media(i.image)));
    images.forEach((img, k) => {
      expect(img.maxAbsDiff).toBeLessThan(1e-4);
      expect(ours[k]!.length, img.image).toBe(img.reference.length);
      ours[k]!.forEach((d, j) => {
        const ref = img.reference[j]!;
        expect(Math.abs(d.score - ref.score)).toBeLessThan(2e-3);
        d.box.forEach((v, c) => expect(Math.abs(v - ref.box[c]!)).toBeLessThan(0.5));
      });
    });
  });
});

// Opt-in (a 145 MB package): KHOA_TFJS_MODEL_DIR=<dir with models/nanodet.json, .bin> runs
// the original TFJS graph live on real photos against the committed ONNX file.
const tfjsDir = process.env.KHOA_TFJS_MODEL_DIR;
describe.runIf(tfjsDir)('converted NanoDet-m against the live TFJS original', () => {
  it('gives the same outputs on real photos', async () => {
    const json = await readFile(join(tfjsDir!, 'models/nanodet.json'), 'utf8');
    const bin = await readFile(join(tfjsDir!, 'models/nanodet.bin'));
    const cmp = await compareWithTfjs(json, bin, models('nanodet-m.onnx'), [media('astronaut.jpg'), media('coffee.jpg')]);
    expect(cmp).toBeDefined();
    for (const c of cmp!) {
      expect(c.maxAbsDiff, c.image).toBeLessThan(1e-4);
      expect(c.converted).toEqual(c.reference);
    }
  }, 120_000);
});

// ---- the converter itself, against TFJS, on a small graph with every op NanoDet uses ----

type Dt = 'float32' | 'int32';
function tinyGraph(): { json: string; bin: Buffer } {
  const nodes: object[] = [];
  const weights: object[] = [];
  const chunks: Buffer[] = [];
  let seed = 7;
  const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const k = (name: string, dtype: Dt, shape: number[], values?: number[]): string => {
    const n = shape.reduce((a, b) => a * b, 1);
    const vals = values ?? Array.from({ length: n }, () => rand() * 0.5);
    const buf = Buffer.alloc(4 * n);
    vals.forEach((v, i) => (dtype === 'int32' ? buf.writeInt32LE(v, 4 * i) : buf.writeFloatLE(v, 4 * i)));
    const dt = dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    nodes.push({ name, op: 'Const', attr: { value: { tensor: { dtype: dt, tensorShape: { dim: shape.map((s) => ({ size: String(s) })) } } }, dtype: { type: dt } } });
    weights.push({ name, shape, dtype });
    chunks.push(buf);
    return name;
  };
  const op = (name: string, o: string, input: string[], attr: object = {}): string => (nodes.push({ name, op: o, input, attr: { T: { type: 'DT_FLOAT' }, ...attr } }), name);
  const perm = (p: number[]): string => k(`perm_${p.join('')}_${nodes.length}`, 'int32', [p.length], p);
  const NHWC = { data_format: { s: Buffer.from('NHWC').toString('base64') }, padding: { s: Buffer.from('VALID').toString('base64') } };
  const ints = (v: number[]): object => ({ list: { i: v.map(String) } });
  nodes.push({ name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [1, 3, 8, 8].map((s) => ({ size: String(s) })) } }, dtype: { type: 'DT_FLOAT' } } });
  const pads = k('pads', 'int32', [4, 2], [0, 0, 0, 0, 1, 1, 1, 1]);
  op('p1', 'Pad', ['x', pads]);
  op('t1', 'Transpose', ['p1', perm([0, 2, 3, 1])]);
  op('c1', 'Conv2D', ['t1', k('w1', 'float32', [3, 3, 3, 4])], { ...NHWC, strides: ints([1, 2, 2, 1]), dilations: ints([1, 1, 1, 1]) });
  op('a1', 'Add', ['c1', k('b1', 'float32', [4])]);
  op('t2', 'Transpose', ['a1', perm([0, 3, 1, 2])]);
  op('l1', 'LeakyRelu', ['t2'], { alpha: { f: 0.1 } });
  op('pv', 'PadV2', ['l1', k('pads2', 'int32', [4, 2], [0, 0, 0, 0, 1, 1, 1, 1]), k('ninf', 'float32', [], [-Infinity])]);
  op('t3', 'Transpose', ['pv', perm([0, 2, 3, 1])]);
  op('mp', 'MaxPool', ['t3'], { ...NHWC, ksize: ints([1, 3, 3, 1]), strides: ints([1, 2, 2, 1]) });
  op('t4', 'Transpose', ['mp', perm([0, 3, 1, 2])]);
  op('t5', 'Transpose', ['t4', perm([0, 2, 3, 1])]);
  op('rs', 'ResizeBilinear', ['t5', k('size', 'int32', [2], [4, 4])], { align_corners: { b: false }, half_pixel_centers: { b: true } });
  op('t6', 'Transpose', ['rs', perm([0, 3, 1, 2])]);
  op('cc', 'ConcatV2', ['t6', 'l1', k('axis', 'int32', [], [1])], { N: { i: '2' } });
  op('t7', 'Transpose', ['cc', perm([0, 2, 3, 1])]);
  op('c2', 'Conv2D', ['t7', k('w2', 'float32', [1, 1, 8, 6])], { ...NHWC, strides: ints([1, 1, 1, 1]), dilations: ints([1, 1, 1, 1]) });
  op('a2', 'Add', ['c2', k('b2', 'float32', [6])]);
  op('t8', 'Transpose', ['a2', perm([0, 3, 1, 2])]);
  op('sp', 'SplitV', ['t8', k('sizes', 'int32', [2], [2, 4]), k('dim', 'int32', [], [1])], { num_split: { i: '2' } });
  op('sg', 'Sigmoid', ['sp']);
  // The reshape target is folded from Const + SparseToDense(empty), as in NanoDet's graph.
  const zeros = op('std', 'SparseToDense', [k('idx', 'int32', [0, 1], []), k('oshape', 'int32', [1], [3]), k('vals', 'int32', [0], []), k('dflt', 'int32', [], [0])]);
  op('shape1', 'AddV2', [k('s1', 'int32', [3], [1, 2, -1]), zeros]);
  op('r1', 'Reshape', ['sg', 'shape1']);
  op('r2', 'Reshape', ['sp:1', k('s2', 'int32', [3], [1, 4, -1])]);
  op('o1', 'Transpose', ['r1', k('p021', 'int32', [3], [0, 2, 1])]);
  op('o2', 'Transpose', ['r2', k('p021b', 'int32', [3], [0, 2, 1])]);
  op('Identity', 'Identity', ['o1']);
  op('Identity_1', 'Identity', ['o2']);
  const sig = (name: string, shape: number[]): object => ({ name: `${name}:0`, dtype: 'DT_FLOAT', tensorShape: { dim: shape.map((s) => ({ size: String(s) })) } });
  const json = JSON.stringify({
    format: 'graph-model',
    modelTopology: { node: nodes, library: {}, versions: {} },
    signature: { inputs: { 'x:0': sig('x', [1, 3, 8, 8]) }, outputs: { 'Identity:0': sig('Identity', [1, 16, 2]), 'Identity_1:0': sig('Identity_1', [1, 16, 4]) } },
    weightsManifest: [{ paths: ['w.bin'], weights }],
  });
  return { json, bin: Buffer.concat(chunks) };
}

describe('TFJS → ONNX converter', () => {
  it('matches TFJS on a graph using every op NanoDet needs, with layout transposes cancelled', async () => {
    const { json, bin } = tinyGraph();
    const { model, report } = convertTfjsToOnnx(readTfjsGraph(json, bin), {
      inputName: 'input', outputName: (n) => n, dynamicBatch: true, producer: 'test', docString: '', metadata: {},
    });
    expect(report.biasesFused).toBe(2);
    // Only the two output transposes (rank 3) survive; no NCHW/NHWC shuffles are left.
    expect(model.nodes.filter((n) => n.op === 'Transpose')).toHaveLength(2);
    const file = join(mkdtempSync(join(tmpdir(), 'khoa-onnx-')), 'tiny.onnx');
    writeFileSync(file, encodeOnnxModel(model));

    await tf.setBackend('cpu');
    const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
    const parsed = JSON.parse(json) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
    const ref = await tfc.loadGraphModel(tf.io.fromMemory({ modelTopology: parsed.modelTopology, weightSpecs: parsed.weightsManifest[0]!.weights, weightData }));
    const session = await ort.InferenceSession.create(file);
    for (const batch of [1, 3]) {
      const x = Float32Array.from({ length: batch * 3 * 64 }, (_, i) => Math.sin(i * 0.37) * 2);
      const ours = await session.run({ input: new ort.Tensor('float32', x, [batch, 3, 8, 8]) });
      // TFJS's graph has batch 1 baked in: compare item by item.
      for (let b = 0; b < batch; b++) {
        const theirs = ref.execute(tf.tensor(x.subarray(b * 192, (b + 1) * 192), [1, 3, 8, 8]), ['Identity', 'Identity_1']) as tf.Tensor[];
        for (const [name, t] of [['Identity', theirs[0]!], ['Identity_1', theirs[1]!]] as const) {
          const a = t.dataSync();
          const o = ours[name]!;
          expect(o.dims.slice(1)).toEqual(t.shape.slice(1));
          const per = a.length;
          const mine = (o.data as Float32Array).subarray(b * per, (b + 1) * per);
          for (let i = 0; i < per; i++) expect(Math.abs(mine[i]! - a[i]!)).toBeLessThan(1e-5);
        }
      }
    }
    await session.release();
  });
});
