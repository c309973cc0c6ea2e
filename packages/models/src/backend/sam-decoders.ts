// SAM 1 decoder graphs in the transformers.js layout, chosen per prompt from what each graph declares.
//
// Xenova's SAM exports differ by revision: SlimSAM's `main` decoder takes points and labels only (its prompt encoder
// embeds the labels 1, 0, -1 and -10, so a box sent as corner points labelled 2/3 is two unlabelled points), while its
// `boxes` revision takes `input_boxes` only. SegKit therefore never sends a prompt part that a graph would ignore: it
// runs the decoder whose inputs take the whole prompt, or refuses with E_PROMPT_UNSUPPORTED.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '@huggingface/transformers';
import { ModelCorruptError, PromptUnsupportedError } from '@segkit/core';
import { InferenceSession } from 'onnxruntime-node';
import { sessionOptions } from './onnx-open.js';

/** What SegKit needs of an ONNX session (transformers.js's sessions and our own are both onnxruntime-node's). */
export interface DecoderSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
}

/** One decoder graph and the prompt parts its inputs take. */
export interface SamDecoderGraph {
  /** Where it comes from, for messages: `onnx/prompt_encoder_mask_decoder.onnx`, … */
  file: string;
  session: DecoderSession;
  points: boolean;
  boxes: boolean;
}

/** What a model's decoders can take, over all of its graphs. */
export interface PromptSupport {
  points: boolean;
  box: boolean;
  /** A box and points in one prompt (one graph that takes both). */
  boxWithPoints: boolean;
}

/** Where a pulled `sam` preset keeps the decoder of the repo's `boxes` revision, relative to the model folder. */
export const BOX_DECODER_DIR = 'boxes';

/** The external-data side files of a graph, by the two names exporters give them (optimum's `_data`, torch's `.data`). */
export const externalDataOf = (graph: string): string[] =>
  [`${graph}_data`, `${graph}.data`].filter((f) => existsSync(f));

export function decoderGraph(file: string, session: DecoderSession): SamDecoderGraph {
  return {
    file,
    session,
    points: session.inputNames.includes('input_points'),
    boxes: session.inputNames.includes('input_boxes'),
  };
}

/** Opens the companion box decoder (`boxes/onnx/prompt_encoder_mask_decoder{suffix}.onnx`) when the folder has one. */
export async function openBoxDecoder(dir: string, suffix: string): Promise<SamDecoderGraph | undefined> {
  const file = join(BOX_DECODER_DIR, 'onnx', `prompt_encoder_mask_decoder${suffix}.onnx`);
  if (!existsSync(join(dir, file))) return undefined;
  try {
    return decoderGraph(
      file,
      (await InferenceSession.create(join(dir, file), sessionOptions())) as unknown as DecoderSession,
    );
  } catch (e) {
    throw new ModelCorruptError(
      `${join(dir, file)} cannot be loaded (${(e as Error).message.split('\n')[0]}); pull or import it again`,
    );
  }
}

export function promptSupport(graphs: SamDecoderGraph[]): PromptSupport {
  return {
    points: graphs.some((g) => g.points),
    box: graphs.some((g) => g.boxes),
    boxWithPoints: graphs.some((g) => g.points && g.boxes),
  };
}

const TAKE_BOXES = 'the `sam` preset (SlimSAM with its box decoder), sam2-tiny, sam2-small';

/** The graph that takes the whole prompt, or E_PROMPT_UNSUPPORTED naming what the model's graphs take instead. */
export function pickDecoder(
  graphs: SamDecoderGraph[],
  want: { box: boolean; points: boolean },
  model: string,
): SamDecoderGraph {
  const graph = graphs.find((g) => (!want.box || g.boxes) && (!want.points || g.points));
  if (graph) return graph;
  const has = promptSupport(graphs);
  if (want.box && want.points && has.box && has.points)
    throw new PromptUnsupportedError(
      `${model} has no decoder that takes a box and points together (its point and box decoders are separate graphs); send the box or the points alone, or use sam2-tiny or sam2-small`,
    );
  if (want.box && !has.box)
    throw new PromptUnsupportedError(
      `${model} takes no boxes: its decoder graph has no input_boxes input. Models that take boxes: ${TAKE_BOXES}`,
    );
  throw new PromptUnsupportedError(
    `${model} takes only boxes: its decoder graph has no input_points input. Models that take clicks: the \`sam\` preset, sam2-tiny, sam2-small`,
  );
}

/**
 * Runs a SAM 1 decoder graph with exactly the inputs it declares. Coordinates are already in the resized frame, as
 * transformers.js's SamProcessor gives them: points [1, 1, N, 2] with int64 labels, a box [1, 1, 4] as x0, y0, x1, y1.
 */
export async function runSamDecoder(
  graph: SamDecoderGraph,
  embedding: Record<string, Tensor>,
  prompt: { points: number[]; labels: number[]; box?: [number, number, number, number] },
): Promise<{ scores: Float32Array; logits: Float32Array; dims: readonly number[] }> {
  const feeds: Record<string, Tensor> = {};
  for (const name of graph.session.inputNames) if (embedding[name]) feeds[name] = embedding[name];
  if (graph.points) {
    // A graph that takes both, given a box alone, gets one padding point (label -10, which the encoder ignores).
    const points = prompt.labels.length ? prompt.points : [0, 0];
    const labels = prompt.labels.length ? prompt.labels : [-10];
    feeds.input_points = new Tensor('float32', Float32Array.from(points), [1, 1, labels.length, 2]);
    feeds.input_labels = new Tensor('int64', BigInt64Array.from(labels.map(BigInt)), [1, 1, labels.length]);
  }
  if (graph.boxes)
    feeds.input_boxes = prompt.box
      ? new Tensor('float32', Float32Array.from(prompt.box), [1, 1, 4])
      : new Tensor('float32', new Float32Array(0), [1, 0, 4]);
  const ort = Object.fromEntries(
    Object.entries(feeds).map(([k, t]) => [k, (t as unknown as { ort_tensor: unknown }).ort_tensor]),
  );
  const out = await graph.session.run(ort);
  return {
    scores: out.iou_scores!.data as Float32Array,
    logits: out.pred_masks!.data as Float32Array,
    dims: out.pred_masks!.dims,
  };
}
