// The transformers.js CLIPSeg export (`onnx/model.onnx`) as what decoder training needs: the decoder's weights by
// module name, the graph tensors that the decoder reads (the vision hidden states and the conditional embedding),
// feature graphs that output only those, and the model with new weights written back.
import { ModelCorruptError, ModelUnsupportedError } from '@segkit/core';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type ModelProto = onnxProto.onnx.ModelProto;
type TensorProto = onnxProto.onnx.ITensorProto;

/** One decoder parameter: its data in the initializer's own layout, and where it lives in the graph. */
export interface DecoderParam {
  /** PyTorch module name, e.g. `decoder.layers.0.self_attn.q_proj.weight`. */
  name: string;
  /** The initializer that holds it (an anonymous `onnx::MatMul_1520` for the Linear weights of MatMul nodes). */
  initializer: string;
  /** Shape as stored: MatMul weights are [in, out] (PyTorch's transposed), Gemm weights [out, in]. */
  dims: number[];
  data: Float32Array;
}

export interface ClipSegGraph {
  model: ModelProto;
  /** Decoder parameters by module name. */
  params: Map<string, DecoderParam>;
  /** The tensors the reduces read, in decoder order (reduces.0 reads the deepest extracted layer). */
  hiddenStates: string[];
  /** The conditional embedding the FiLM layers read (`text_projection` output). */
  conditional: string;
}

const DECODER_NODE = /(?:^|\/)decoder\/(.+)\/(?:MatMul|Gemm)$/;

function floatData(t: TensorProto): Float32Array {
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT)
    throw new ModelUnsupportedError(
      `Decoder weight ${t.name} is not float32: training needs onnx/model.onnx (the fp32 export), not a quantized one`,
    );
  const n = (t.dims ?? []).reduce((a, b) => a * Number(b), 1);
  if (t.rawData?.length) {
    const raw = t.rawData;
    if (raw.length !== n * 4)
      throw new ModelCorruptError(`Initializer ${t.name} holds ${raw.length} bytes for ${n} floats`);
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(raw);
    return out;
  }
  if (t.floatData && t.floatData.length === n) return Float32Array.from(t.floatData);
  throw new ModelCorruptError(`Initializer ${t.name} has no data (external data is not supported)`);
}

/** Decodes an ONNX model's bytes. */
export function onnxModel(bytes: Uint8Array): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelCorruptError(`Not an ONNX model: ${(e as Error).message}`);
  }
}

/** Parses a CLIPSeg `model.onnx` and finds the decoder's parameters and inputs. */
export function readClipSegGraph(bytes: Uint8Array): ClipSegGraph {
  const model = onnxModel(bytes);
  const g = model.graph!;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));
  const consumers = new Map<string, number>();
  for (const node of g.node ?? [])
    for (const i of node.input ?? []) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const params = new Map<string, DecoderParam>();
  const add = (name: string, init: TensorProto) => {
    if ((consumers.get(init.name!) ?? 0) > 1)
      throw new ModelUnsupportedError(
        `Initializer ${init.name} is shared by several nodes; ${name} cannot train alone`,
      );
    params.set(name, {
      name,
      initializer: init.name!,
      dims: (init.dims ?? []).map(Number),
      data: floatData(init),
    });
  };
  // Named initializers keep their module names (biases, LayerNorms, FiLM, convolutions), whatever scope prefixes them.
  for (const [iname, init] of inits) {
    const m = /(?:^|\.)(decoder\..+)$/.exec(iname);
    if (m) add(m[1]!, init);
  }
  // Linear weights of MatMul nodes are anonymous: the consuming node's name says which module they belong to.
  let conditional: string | undefined;
  const reduces: string[] = [];
  for (const node of g.node ?? []) {
    const m = DECODER_NODE.exec(node.name ?? '');
    if (!m) continue;
    const module = `decoder.${m[1]!.replaceAll('/', '.')}`;
    const w = node.input?.[1];
    if (node.opType === 'MatMul' && w && inits.has(w) && !params.has(`${module}.weight`))
      add(`${module}.weight`, inits.get(w)!);
    const r = /^decoder\.reduces\.(\d+)$/.exec(module);
    if (r && node.opType === 'MatMul') reduces[Number(r[1])] = node.input![0]!;
    if (module === 'decoder.film_mul' && node.opType === 'Gemm') conditional = node.input![0]!;
  }
  if (!conditional || reduces.length === 0 || reduces.some((x) => !x))
    throw new ModelUnsupportedError(
      'This ONNX graph has no recognisable CLIPSeg decoder (no /decoder/reduces.N/MatMul or /decoder/film_mul/Gemm nodes); ' +
        'training needs the transformers.js export, onnx/model.onnx',
    );
  for (let i = 0; i < reduces.length; i++)
    if (!params.has(`decoder.reduces.${i}.weight`))
      throw new ModelUnsupportedError(`The decoder's reduces.${i} weight was not found in the graph`);
  return { model, params, hiddenStates: reduces, conditional };
}

/**
 * A copy of the model that outputs only `outputs`, with the nodes and inputs they do not need removed (so running
 * it computes the backbone once and nothing else).
 */
export function featureGraph(source: ModelProto, outputs: string[]): Uint8Array {
  const model = onnx.ModelProto.decode(onnx.ModelProto.encode(source).finish());
  const g = model.graph!;
  const needed = new Set(outputs);
  const keep: onnxProto.onnx.INodeProto[] = [];
  for (const node of [...(g.node ?? [])].reverse()) {
    if (!(node.output ?? []).some((o) => needed.has(o))) continue;
    keep.push(node);
    for (const i of node.input ?? []) if (i) needed.add(i);
  }
  g.node = keep.reverse() as onnxProto.onnx.NodeProto[];
  g.initializer = (g.initializer ?? []).filter((t) => needed.has(t.name!)) as onnxProto.onnx.TensorProto[];
  g.input = (g.input ?? []).filter((i) => needed.has(i.name!)) as onnxProto.onnx.ValueInfoProto[];
  g.output = outputs.map((name) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } },
    }),
  );
  g.valueInfo = [];
  return onnx.ModelProto.encode(model).finish();
}

/** The model with `weights` (by module name, in the stored layout) written into their initializers. */
export function withWeights(graph: ClipSegGraph, weights: Map<string, Float32Array>): Uint8Array {
  const model = onnx.ModelProto.decode(onnx.ModelProto.encode(graph.model).finish());
  const byInit = new Map<string, Float32Array>();
  for (const [name, data] of weights) {
    const p = graph.params.get(name);
    if (!p) throw new ModelUnsupportedError(`The model has no decoder parameter ${name}`);
    if (p.data.length !== data.length)
      throw new ModelUnsupportedError(
        `${name} holds ${data.length} values; the model's has ${p.data.length}`,
      );
    byInit.set(p.initializer, data);
  }
  for (const t of model.graph!.initializer ?? []) {
    const data = byInit.get(t.name!);
    if (!data) continue;
    t.rawData = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    t.floatData = [];
  }
  return onnx.ModelProto.encode(model).finish();
}
