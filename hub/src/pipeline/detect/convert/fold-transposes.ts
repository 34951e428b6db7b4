import type { OnnxNode } from './onnx-writer.ts';

/**
 * Cancels layout shuffles: Transpose(Transpose(x, p1), p2) becomes Transpose(x, p1∘p2),
 * an identity Transpose disappears, and nodes nobody reads are dropped. What is left of
 * the converter's NCHW↔NHWC round trips is nothing at all on NanoDet.
 * Returns the surviving nodes and every value name they read (to prune initializers).
 */
export function foldTransposes(input: OnnxNode[], graphOutputs: Set<string>): { nodes: OnnxNode[]; removed: number; used: Set<string> } {
  let nodes = input.map((n) => ({ ...n, inputs: [...n.inputs], attrs: [...n.attrs] }));
  const before = nodes.filter((n) => n.op === 'Transpose').length;
  const permOf = (n: OnnxNode): number[] => {
    const a = n.attrs.find((x) => x.name === 'perm');
    return a && a.kind === 'ints' ? a.value : [];
  };

  for (let changed = true; changed; ) {
    changed = false;
    const producer = new Map<string, OnnxNode>();
    for (const n of nodes) for (const o of n.outputs) producer.set(o, n);

    // Compose chains: y = T(T(x, p1), p2) reads x directly with perm p[j] = p1[p2[j]].
    for (const n of nodes) {
      if (n.op !== 'Transpose') continue;
      const src = producer.get(n.inputs[0] ?? '');
      if (src?.op !== 'Transpose') continue;
      const p1 = permOf(src);
      const p2 = permOf(n);
      n.inputs[0] = src.inputs[0]!;
      n.attrs = [{ name: 'perm', kind: 'ints', value: p2.map((j) => p1[j]!) }];
      changed = true;
    }

    // Identity permutations: readers take the input directly (graph outputs keep a name).
    const rename = new Map<string, string>();
    nodes = nodes.filter((n) => {
      if (n.op !== 'Transpose' || !permOf(n).every((p, i) => p === i)) return true;
      const out = n.outputs[0]!;
      if (graphOutputs.has(out)) {
        n.op = 'Identity';
        n.attrs = [];
        return true;
      }
      rename.set(out, n.inputs[0]!);
      changed = true;
      return false;
    });
    const resolve = (v: string): string => {
      let r = v;
      while (rename.has(r)) r = rename.get(r)!;
      return r;
    };
    for (const n of nodes) n.inputs = n.inputs.map(resolve);

    // Dead nodes (outputs read by nobody and not graph outputs).
    const read = new Set(nodes.flatMap((n) => n.inputs));
    const alive = nodes.filter((n) => n.outputs.some((o) => read.has(o) || graphOutputs.has(o)));
    if (alive.length !== nodes.length) changed = true;
    nodes = alive;
  }
  const used = new Set(nodes.flatMap((n) => n.inputs));
  return { nodes, removed: before - nodes.filter((n) => n.op === 'Transpose').length, used };
}
