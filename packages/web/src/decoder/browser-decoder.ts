// The SAM prompt decoder running in the browser: the graphs come from the server once, the embedding once per image,
// and every click or hover then runs in a worker (decoder.worker.ts) with no server round trip and no work on the
// page's main thread. The feeds and the post-processing are the server's own (`@segkit/models/browser`), so the masks
// match the segment route's.
import type { Mask } from '@segkit/core/mask';
import type { EmbeddingTensors } from '@segkit/models/browser';
import { api, type DecoderInfoT, fetchBinary } from '../api.js';
import { type DraftPrompt, pickGraph, toDecoderPrompt } from '../editor/prompt.js';
import type { Backend, BackendChoice, DecodedOut, Reply, Request } from './protocol.js';

export interface DecodedMask {
  mask: Mask;
  score: number;
}

/** What the editor needs of a decoder: the fakes in the editor's tests implement the same. */
export interface Decoder {
  readonly info: DecoderInfoT;
  /** Where it runs, for the rail ("WebAssembly, 2 threads, off the main thread"). */
  readonly where: string;
  accepts(prompt: DraftPrompt): boolean;
  /** `stale`: asked just before the run starts; true drops it (a StaleError). */
  decode(
    emb: EmbeddingTensors & { imageId: number },
    prompt: DraftPrompt,
    stale?: () => boolean,
  ): Promise<{ candidates: DecodedMask[] }>;
}

/** A queued run dropped because nobody wants its answer any more. */
export class StaleError extends Error {
  constructor() {
    super('stale decoder run dropped');
  }
}

/** A dedicated worker, spoken to by request id. */
class WorkerLink {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  constructor(private readonly worker: Worker) {
    worker.addEventListener('message', (e: MessageEvent<Reply>) => {
      const w = this.waiting.get(e.data.id);
      if (!w) return;
      this.waiting.delete(e.data.id);
      if (e.data.ok) w.resolve(e.data.value);
      else w.reject(new Error(e.data.message));
    });
    worker.addEventListener('error', (e) => {
      const err = new Error(`The decoder worker failed: ${e.message || 'it could not start'}`);
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
  }
  call<T>(req: Request, transfer: Transferable[] = []): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, ...req }, transfer);
    });
  }
  /** Ends the worker; calls still waiting fail rather than wait forever. */
  close() {
    this.worker.terminate();
    for (const w of this.waiting.values()) w.reject(new Error('The decoder was closed'));
    this.waiting.clear();
  }
}

const CHOICE_KEY = 'segkit.decoderBackend';

/** The decoder backend asked for in this browser (Settings): auto, webgpu or wasm. */
export function backendChoice(): BackendChoice {
  const v = globalThis.localStorage?.getItem(CHOICE_KEY);
  return v === 'webgpu' || v === 'wasm' ? v : 'auto';
}

export function setBackendChoice(choice: BackendChoice) {
  if (choice === 'auto') localStorage.removeItem(CHOICE_KEY);
  else localStorage.setItem(CHOICE_KEY, choice);
}

export const describeBackend = (b: Backend) =>
  b.name === 'webgpu'
    ? `WebGPU, off the main thread${b.note ? ` (${b.note})` : ''}`
    : `WebAssembly, ${b.threads} thread${b.threads === 1 ? '' : 's'}, off the main thread${b.note ? ` (${b.note})` : ''}`;

export class BrowserDecoder implements Decoder {
  private constructor(
    readonly info: DecoderInfoT,
    private readonly link: WorkerLink,
    readonly backend: Backend,
  ) {}

  get where(): string {
    return describeBackend(this.backend);
  }

  /** Loads the project's decoder graphs; just the info when the model has none (classic: the server segments). */
  static async load(projectId: number, model?: string): Promise<BrowserDecoder | { info: DecoderInfoT }> {
    const info = await api.decoder(projectId, model);
    if (!info.browser) return { info };
    const q = model ? `?model=${encodeURIComponent(model)}` : '';
    const graphs = await Promise.all(
      info.graphs.map(async (g) => {
        const { bytes } = await fetchBinary(`/projects/${projectId}/decoder/${g.index}${q}`);
        // Exports that keep weights beside the graph (SAM 3 tracker's .onnx_data) need those files too.
        const data = await Promise.all(
          g.data.map(async (d, k) => ({
            name: d.name,
            bytes: (await fetchBinary(`/projects/${projectId}/decoder/${g.index}/data/${k}${q}`)).bytes,
          })),
        );
        return { index: g.index, layout: g.layout, bytes, data };
      }),
    );
    const link = new WorkerLink(
      new Worker(new URL('./decoder.worker.ts', import.meta.url), { type: 'module', name: 'segkit-decoder' }),
    );
    try {
      const backend = await link.call<Backend>(
        { kind: 'init', graphs, want: backendChoice() },
        graphs.flatMap((g) => [g.bytes, ...g.data.map((d) => d.bytes)]),
      );
      return new BrowserDecoder(info, link, backend);
    } catch (e) {
      link.close();
      throw e;
    }
  }

  /** Whether a decoder graph takes this prompt (SlimSAM: points or a box, not both). */
  accepts(prompt: DraftPrompt): boolean {
    return pickGraph(this.info.graphs, prompt) !== undefined;
  }

  /** Ends the worker (its sessions and memory with it). */
  close() {
    this.link.close();
  }

  /** Runs one at a time: a click must not interleave with a hover preview. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The image whose embedding the worker holds. */
  private loaded: number | null = null;

  /** Runs the prompt: every candidate, best first, as full-size masks. */
  decode(
    emb: EmbeddingTensors & { imageId: number },
    prompt: DraftPrompt,
    stale?: () => boolean,
  ): Promise<{ candidates: DecodedMask[] }> {
    // A run still waiting its turn is dropped when it has gone stale (a hover preview the mouse has left).
    const run = this.queue.then(() => {
      if (stale?.()) throw new StaleError();
      return this.run(emb, prompt);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(emb: EmbeddingTensors & { imageId: number }, prompt: DraftPrompt) {
    const graph = pickGraph(this.info.graphs, prompt);
    if (!graph) throw new Error(`${this.info.model} has no decoder graph that takes this prompt`);
    if (this.loaded !== emb.imageId) {
      this.loaded = null;
      const { imageId, ...tensors } = emb;
      await this.link.call({ kind: 'embedding', key: imageId, emb: tensors });
      this.loaded = imageId;
    }
    const out = await this.link.call<DecodedOut>({
      kind: 'decode',
      key: emb.imageId,
      graph: graph.index,
      prompt: toDecoderPrompt(prompt),
    });
    // What the last run fed and got, by tensor name (the end-to-end tests check the real graphs' shapes with it).
    (globalThis as { segkitLastDecode?: unknown }).segkitLastDecode = {
      model: this.info.model,
      layout: graph.layout,
      backend: this.backend,
      runMs: out.runMs,
      inputs: out.inputs,
      outputs: out.outputs,
    };
    return {
      candidates: out.candidates.map((c) => ({
        mask: { width: c.width, height: c.height, data: c.data },
        score: c.score,
      })),
    };
  }
}
