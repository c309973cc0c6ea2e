// The 8-bit copy of a trained model (`onnx/model_quantized.onnx`, what `--dtype q8` loads), by dynamic quantization
// as onnxruntime's quantize_dynamic does it: every MatMul whose right operand is a float32 weight becomes
// DynamicQuantizeLinear on its input (uint8, per tensor, at run time), MatMulInteger with the weight stored as int8
// (symmetric, per tensor), and a rescale by the two scales. Convolutions, Gemm and the embeddings stay float32.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type ModelProto = onnxProto.onnx.ModelProto;
type TensorProto = onnxProto.onnx.ITensorProto;
const { FLOAT, INT8 } = onnx.TensorProto.DataType;

/** A weight's values, from raw bytes or the float list. */
function values(t: TensorProto): Float32Array {
  if (t.rawData?.length) {
    const out = new Float32Array(t.rawData.length / 4);
    new Uint8Array(out.buffer).set(t.rawData);
    return out;
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Returns the encoded 8-bit model and how many MatMul weights it quantized. */
export function quantizeMatMuls(source: ModelProto): { bytes: Uint8Array; quantized: number } {
  const model = onnx.ModelProto.decode(onnx.ModelProto.encode(source).finish());
  const g = model.graph!;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));
  const uses = new Map<string, number>();
  for (const n of g.node ?? []) for (const i of n.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const added: onnxProto.onnx.ITensorProto[] = [];
  const dropped = new Set<string>();
  let quantized = 0;
  for (const node of g.node ?? []) {
    const w = node.opType === 'MatMul' ? inits.get(node.input![1]!) : undefined;
    if (!w || w.dataType !== FLOAT || (w.dims ?? []).length !== 2 || uses.get(w.name!) !== 1) {
      nodes.push(node);
      continue;
    }
    const data = values(w);
    let max = 0;
    for (const v of data) max = Math.max(max, Math.abs(v));
    const scale = max > 0 ? max / 127 : 1;
    const q = new Int8Array(data.length);
    for (let i = 0; i < data.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(data[i]! / scale)));
    const base = `${node.name || w.name}_q8`;
    added.push(
      { name: `${base}_w`, dataType: INT8, dims: w.dims, rawData: new Uint8Array(q.buffer) },
      { name: `${base}_w_scale`, dataType: FLOAT, dims: [], floatData: [scale] },
    );
    dropped.add(w.name!);
    const [a] = node.input!;
    const y = node.output![0]!;
    nodes.push(
      {
        opType: 'DynamicQuantizeLinear',
        name: `${base}/quantize`,
        input: [a!],
        output: [`${base}_a`, `${base}_a_scale`, `${base}_a_zp`],
      },
      {
        opType: 'MatMulInteger',
        name: `${base}/matmul`,
        input: [`${base}_a`, `${base}_w`, `${base}_a_zp`],
        output: [`${base}_int`],
      },
      {
        opType: 'Cast',
        name: `${base}/cast`,
        input: [`${base}_int`],
        output: [`${base}_float`],
        attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
      },
      {
        opType: 'Mul',
        name: `${base}/scales`,
        input: [`${base}_a_scale`, `${base}_w_scale`],
        output: [`${base}_scale`],
      },
      { opType: 'Mul', name: `${base}/rescale`, input: [`${base}_float`, `${base}_scale`], output: [y] },
    );
    quantized++;
  }
  g.node = nodes as onnxProto.onnx.NodeProto[];
  g.input = (g.input ?? []).filter((i) => !dropped.has(i.name!)) as onnxProto.onnx.ValueInfoProto[];
  g.initializer = [...(g.initializer ?? []).filter((t) => !dropped.has(t.name!)), ...added].map((t) =>
    onnx.TensorProto.create(t),
  );
  return { bytes: onnx.ModelProto.encode(model).finish(), quantized };
}
