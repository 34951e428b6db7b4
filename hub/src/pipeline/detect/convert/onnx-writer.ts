/**
 * Writes an ONNX ModelProto by hand. Only the subset a converted feed-forward graph needs
 * (nodes, attributes, initializers, typed inputs/outputs) is encoded; field numbers are
 * those of onnx/onnx.proto (IR version 7). Writing ~60 lines of protobuf spares the hub a
 * protobuf runtime dependency that only the offline conversion would use.
 */

/** ONNX TensorProto.DataType values used here. */
export const OnnxType = { FLOAT: 1, INT32: 6, INT64: 7, FLOAT16: 10 } as const;
export type OnnxElemType = (typeof OnnxType)[keyof typeof OnnxType];

export type OnnxAttr =
  | { name: string; kind: 'float'; value: number }
  | { name: string; kind: 'int'; value: number }
  | { name: string; kind: 'ints'; value: number[] }
  | { name: string; kind: 'string'; value: string };

export interface OnnxNode {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: OnnxAttr[];
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  type: OnnxElemType;
  /** Little-endian raw bytes, as ONNX `raw_data` expects. */
  raw: Uint8Array;
}

export interface OnnxValueInfo {
  name: string;
  type: OnnxElemType;
  /** A number is a fixed size, a string a symbolic one (e.g. `batch`). */
  dims: (number | string)[];
}

export interface OnnxModel {
  graphName: string;
  producer: string;
  opset: number;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  docString: string;
  metadata: Record<string, string>;
}

// ---- protobuf wire encoding -------------------------------------------------------------

function varint(value: number | bigint): Buffer {
  // int64 fields are two's complement on the wire: negatives take 10 bytes.
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v !== 0n);
  return Buffer.from(bytes);
}

const key = (field: number, wire: number): Buffer => varint((field << 3) | wire);
const fInt = (field: number, v: number): Buffer => Buffer.concat([key(field, 0), varint(v)]);
const fBytes = (field: number, b: Uint8Array): Buffer => Buffer.concat([key(field, 2), varint(b.byteLength), b]);
const fStr = (field: number, s: string): Buffer => fBytes(field, Buffer.from(s, 'utf8'));
function fFloat(field: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return Buffer.concat([key(field, 5), b]);
}

// ---- messages ---------------------------------------------------------------------------

function attribute(a: OnnxAttr): Buffer {
  // AttributeProto: name=1 f=2 i=3 s=4 ints=8 type=20 (FLOAT=1 INT=2 STRING=3 INTS=7)
  const parts = [fStr(1, a.name)];
  switch (a.kind) {
    case 'float': parts.push(fFloat(2, a.value), fInt(20, 1)); break;
    case 'int': parts.push(fInt(3, a.value), fInt(20, 2)); break;
    case 'string': parts.push(fStr(4, a.value), fInt(20, 3)); break;
    case 'ints': parts.push(...a.value.map((v) => fInt(8, v)), fInt(20, 7)); break;
  }
  return Buffer.concat(parts);
}

function node(n: OnnxNode): Buffer {
  // NodeProto: input=1 output=2 name=3 op_type=4 attribute=5
  return Buffer.concat([
    ...n.inputs.map((i) => fStr(1, i)),
    ...n.outputs.map((o) => fStr(2, o)),
    fStr(3, n.name),
    fStr(4, n.op),
    ...n.attrs.map((a) => fBytes(5, attribute(a))),
  ]);
}

function tensor(t: OnnxTensor): Buffer {
  // TensorProto: dims=1 data_type=2 name=8 raw_data=9
  return Buffer.concat([...t.dims.map((d) => fInt(1, d)), fInt(2, t.type), fStr(8, t.name), fBytes(9, t.raw)]);
}

function valueInfo(v: OnnxValueInfo): Buffer {
  // ValueInfoProto{name=1,type=2} TypeProto{tensor_type=1} Tensor{elem_type=1,shape=2}
  // TensorShapeProto{dim=1} Dimension{dim_value=1,dim_param=2}
  const dims = v.dims.map((d) => fBytes(1, typeof d === 'number' ? fInt(1, d) : fStr(2, d)));
  const shape = Buffer.concat(dims);
  const tensorType = Buffer.concat([fInt(1, v.type), fBytes(2, shape)]);
  return Buffer.concat([fStr(1, v.name), fBytes(2, fBytes(1, tensorType))]);
}

/** Serialises a model to the bytes of an `.onnx` file. */
export function encodeOnnxModel(m: OnnxModel): Buffer {
  // GraphProto: node=1 name=2 initializer=5 doc_string=10 input=11 output=12
  const graph = Buffer.concat([
    ...m.nodes.map((n) => fBytes(1, node(n))),
    fStr(2, m.graphName),
    ...m.initializers.map((t) => fBytes(5, tensor(t))),
    fStr(10, m.docString),
    ...m.inputs.map((v) => fBytes(11, valueInfo(v))),
    ...m.outputs.map((v) => fBytes(12, valueInfo(v))),
  ]);
  // ModelProto: ir_version=1 producer_name=2 doc_string=6 graph=7 opset_import=8 metadata_props=14
  // OperatorSetIdProto{domain=1,version=2}; StringStringEntryProto{key=1,value=2}
  return Buffer.concat([
    fInt(1, 7),
    fStr(2, m.producer),
    fStr(6, m.docString),
    fBytes(7, graph),
    fBytes(8, Buffer.concat([fStr(1, ''), fInt(2, m.opset)])),
    ...Object.entries(m.metadata).map(([k, v]) => fBytes(14, Buffer.concat([fStr(1, k), fStr(2, v)]))),
  ]);
}
