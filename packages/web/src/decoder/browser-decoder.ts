// The SAM prompt decoder running in the browser (onnxruntime-web, WASM): the graphs come from the server once, the
// embedding once per image, and every click or hover then runs here with no server round trip. The feeds and the
// post-processing are the server's own (`@segkit/models/browser`), so the masks match the segment route's.
import type { Mask } from '@segkit/core/mask';
import {
  buildDecoderFeeds,
  candidateMasks,
  type EmbeddingTensors,
  readDecoderOutputs,
} from '@segkit/models/browser';
import * as ort from 'onnxruntime-web/wasm';
import { api, type DecoderInfoT, fetchBinary } from '../api.js';
import { type DraftPrompt, pickGraph, toDecoderPrompt } from '../editor/prompt.js';

// One thread: no SharedArrayBuffer, so no cross-origin isolation headers are needed.
ort.env.wasm.numThreads = 1;

export interface DecodedMask {
  mask: Mask;
  score: number;
}

type Graph = DecoderInfoT['graphs'][number] & { session: ort.InferenceSession };

export class BrowserDecoder {
  private constructor(
    readonly info: DecoderInfoT,
    private readonly graphs: Graph[],
  ) {}

  /** Loads the project's decoder graphs; undefined when the model has none (classic: the server segments). */
  static async load(projectId: number, model?: string): Promise<BrowserDecoder | { info: DecoderInfoT }> {
    const info = await api.decoder(projectId, model);
    if (!info.browser) return { info };
    const q = model ? `?model=${encodeURIComponent(model)}` : '';
    const graphs = await Promise.all(
      info.graphs.map(async (g) => {
        const { bytes } = await fetchBinary(`/projects/${projectId}/decoder/${g.index}${q}`);
        const session = await ort.InferenceSession.create(new Uint8Array(bytes), {
          executionProviders: ['wasm'],
          graphOptimizationLevel: 'all',
        });
        return { ...g, session };
      }),
    );
    return new BrowserDecoder(info, graphs);
  }

  /** Whether a decoder graph takes this prompt (SlimSAM: points or a box, not both). */
  accepts(prompt: DraftPrompt): boolean {
    return pickGraph(this.graphs, prompt) !== undefined;
  }

  /** Runs one at a time: a session takes one run at once, and a click must not interleave with a hover preview. */
  private queue: Promise<unknown> = Promise.resolve();

  /** Runs the prompt: every candidate, best first, as full-size masks; with raw output shapes for checks. */
  decode(
    emb: EmbeddingTensors,
    prompt: DraftPrompt,
  ): Promise<{ candidates: DecodedMask[]; shapes: Record<string, number[]> }> {
    const run = this.queue.then(() => this.run(emb, prompt));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(
    emb: EmbeddingTensors,
    prompt: DraftPrompt,
  ): Promise<{ candidates: DecodedMask[]; shapes: Record<string, number[]> }> {
    const graph = pickGraph(this.graphs, prompt);
    if (!graph) throw new Error(`${this.info.model} has no decoder graph that takes this prompt`);
    const feeds = buildDecoderFeeds(graph.layout, graph.session.inputNames, emb, toDecoderPrompt(prompt));
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type, t.data, t.dims);
    const out = await graph.session.run(ortFeeds);
    const plain: Record<string, { data: unknown; dims: readonly number[] }> = {};
    const shapes: Record<string, number[]> = {};
    for (const [name, t] of Object.entries(out)) {
      plain[name] = { data: t.data, dims: t.dims };
      shapes[name] = [...t.dims];
    }
    const decoded = readDecoderOutputs(plain);
    // What the last run fed and got, by tensor name (the end-to-end tests check the real graphs' shapes with it).
    (globalThis as { segkitLastDecode?: unknown }).segkitLastDecode = {
      model: this.info.model,
      layout: graph.layout,
      inputs: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t.dims])),
      outputs: shapes,
    };
    return {
      candidates: candidateMasks(decoded, emb, true).map((c) => ({ mask: c.mask, score: c.score })),
      shapes,
    };
  }
}
