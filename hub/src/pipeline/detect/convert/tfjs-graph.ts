import { KhoaError } from '@khoa/protocol';

/**
 * Reads a TFJS "graph-model" (model.json + weight shards) into plain typed arrays, so the
 * converter can walk it without TensorFlow. Weights quantised to float16 are kept both as
 * their raw halves (what the ONNX file stores) and widened to float32 (for constant folding).
 */

export interface TfNode {
  name: string;
  op: string;
  /** Data inputs as `node` or `node:k`; control inputs (`^node`) are dropped. */
  inputs: string[];
  attr: Record<string, TfAttr>;
}

export interface TfAttr {
  f?: number;
  i?: string;
  b?: boolean;
  s?: string;
  type?: string;
  list?: { i?: string[]; f?: number[]; s?: string[] };
  shape?: { dim?: { size: string }[] };
}

export interface TfConst {
  dtype: 'float32' | 'int32';
  shape: number[];
  /** float32 or int32 values (float16 weights widened). */
  values: Float32Array | Int32Array;
  /** The stored float16 bits, when the weight was quantised to float16. */
  half?: Uint16Array;
}

export interface TfSignatureTensor {
  name: string;
  shape: number[];
}

export interface TfGraph {
  nodes: TfNode[];
  consts: Map<string, TfConst>;
  inputs: TfSignatureTensor[];
  outputs: TfSignatureTensor[];
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; original_dtype?: string };
}

interface ModelJson {
  format?: string;
  modelTopology: { node: { name: string; op: string; input?: string[]; attr?: Record<string, TfAttr> }[] };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  signature?: {
    inputs?: Record<string, { name: string; tensorShape?: { dim?: { size: string }[] } }>;
    outputs?: Record<string, { name: string; tensorShape?: { dim?: { size: string }[] } }>;
  };
}

/** IEEE half to float, exact (TFJS stores float16-quantised weights this way). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const product = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function sigShapes(entries: Record<string, { name: string; tensorShape?: { dim?: { size: string }[] } }> | undefined): TfSignatureTensor[] {
  return Object.values(entries ?? {}).map((e) => ({
    name: e.name.replace(/:0$/, ''),
    shape: (e.tensorShape?.dim ?? []).map((d) => Number(d.size)),
  }));
}

/**
 * Parses model.json and the concatenated weight shards (in manifest order).
 * Throws KHOA_ERR_MODEL_LOAD when the files do not agree with each other.
 */
export function readTfjsGraph(modelJson: string, weightData: Uint8Array): TfGraph {
  let model: ModelJson;
  try {
    model = JSON.parse(modelJson) as ModelJson;
  } catch (err) {
    throw new KhoaError('KHOA_ERR_MODEL_LOAD', 'model.json is not JSON', {}, { cause: err });
  }
  if (model.format !== 'graph-model') throw new KhoaError('KHOA_ERR_MODEL_LOAD', `not a TFJS graph model (format ${String(model.format)})`);

  const consts = new Map<string, TfConst>();
  const view = new DataView(weightData.buffer, weightData.byteOffset, weightData.byteLength);
  let offset = 0;
  for (const spec of model.weightsManifest.flatMap((g) => g.weights)) {
    const n = product(spec.shape);
    const q = spec.quantization?.dtype;
    const bytesPer = q === 'float16' ? 2 : q === 'uint8' ? 1 : q === 'uint16' ? 2 : 4;
    if (q && q !== 'float16') throw new KhoaError('KHOA_ERR_MODEL_LOAD', `weight ${spec.name}: quantisation ${q} not supported`);
    if (spec.dtype !== 'float32' && spec.dtype !== 'int32') throw new KhoaError('KHOA_ERR_MODEL_LOAD', `weight ${spec.name}: dtype ${spec.dtype} not supported`);
    if (offset + n * bytesPer > weightData.byteLength) throw new KhoaError('KHOA_ERR_MODEL_LOAD', 'weight data is shorter than its manifest', { weight: spec.name });
    if (q === 'float16') {
      const half = new Uint16Array(n);
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        half[i] = view.getUint16(offset + 2 * i, true);
        values[i] = halfToFloat(half[i]!);
      }
      consts.set(spec.name, { dtype: 'float32', shape: spec.shape, values, half });
    } else if (spec.dtype === 'float32') {
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = view.getFloat32(offset + 4 * i, true);
      consts.set(spec.name, { dtype: 'float32', shape: spec.shape, values });
    } else {
      const values = new Int32Array(n);
      for (let i = 0; i < n; i++) values[i] = view.getInt32(offset + 4 * i, true);
      consts.set(spec.name, { dtype: 'int32', shape: spec.shape, values });
    }
    offset += n * bytesPer;
  }
  if (offset !== weightData.byteLength) {
    throw new KhoaError('KHOA_ERR_MODEL_LOAD', 'weight data is longer than its manifest', { expected: offset, actual: weightData.byteLength });
  }

  const nodes: TfNode[] = model.modelTopology.node.map((n) => ({
    name: n.name,
    op: n.op,
    inputs: (n.input ?? []).filter((i) => !i.startsWith('^')),
    attr: n.attr ?? {},
  }));
  return { nodes, consts, inputs: sigShapes(model.signature?.inputs), outputs: sigShapes(model.signature?.outputs) };
}
