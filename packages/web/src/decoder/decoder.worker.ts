// The decoder worker: ONNX Runtime and every decoder run live here, off the page's main thread, so that a click never
// blocks scrolling, typing or drawing. WebGPU when the browser has an adapter; else WebAssembly, with as many threads
// as the page's cross-origin isolation allows (the server sends COOP/COEP, so SharedArrayBuffer exists).
//
// ONNX Runtime is imported dynamically: its WebAssembly threads start as workers of the module that holds it (it
// starts itself when its worker is named `em-pthread`), so that module must be ONNX Runtime alone, not this file.
import {
  buildDecoderFeeds,
  candidateMasks,
  type DecoderLayout,
  type EmbeddingTensors,
  readDecoderOutputs,
} from '@segkit/models/browser';
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import type { Backend, BackendChoice, DecodedOut, GraphBytes, Reply, Request } from './protocol.js';

type Ort = typeof import('onnxruntime-web/wasm');
interface Gpu {
  requestAdapter(): Promise<{ info?: { isFallbackAdapter?: boolean; architecture?: string } } | null>;
}

const scope = globalThis as unknown as {
  name?: string;
  crossOriginIsolated?: boolean;
  navigator: { hardwareConcurrency?: number; gpu?: Gpu };
  postMessage(m: Reply, transfer?: Transferable[]): void;
  addEventListener(t: 'message', f: (e: MessageEvent<Request & { id: number }>) => void): void;
};

let ort: Ort | null = null;
let sessions = new Map<number, { layout: DecoderLayout; session: InferenceSession }>();
let embedding: { key: number; emb: EmbeddingTensors } | null = null;

/**
 * Threads for WebAssembly: one without isolation (no SharedArrayBuffer), else one per core up to 4 (the page's own
 * thread waits while the decoder runs, so it needs no core of its own).
 */
export function wasmThreads(isolated: boolean, cores: number): number {
  return isolated ? Math.max(1, Math.min(4, cores)) : 1;
}

async function init(graphs: GraphBytes[], want: BackendChoice) {
  const threads = wasmThreads(scope.crossOriginIsolated === true, scope.navigator.hardwareConcurrency ?? 1);
  const gpu = scope.navigator.gpu;
  let note = want === 'wasm' ? 'WebAssembly chosen in Settings' : 'no WebGPU in this browser';
  const adapter = want !== 'wasm' && gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (want !== 'wasm' && gpu && !adapter) note = 'no WebGPU adapter in this browser';
  // A software adapter (SwiftShader, where there is no GPU) is far slower than WebAssembly: only when asked for.
  const software = adapter?.info?.isFallbackAdapter === true;
  if (adapter && software && want === 'auto')
    note = `the WebGPU adapter is software (${adapter.info?.architecture || 'fallback'}), slower than WebAssembly`;
  else if (adapter) {
    try {
      ort = (await import('onnxruntime-web/webgpu')) as unknown as Ort;
      quiet(ort, threads);
      sessions = await createAll(graphs, 'webgpu');
      return { name: 'webgpu', threads, note: software ? 'software adapter' : '' } satisfies Backend;
    } catch (e) {
      note = `WebGPU failed (${(e as Error).message}), fell back to WebAssembly`;
    }
  }
  ort = await import('onnxruntime-web/wasm');
  quiet(ort, threads);
  sessions = await createAll(graphs, 'wasm');
  return { name: 'wasm', threads, note } satisfies Backend;
}

/** Threads, and ONNX Runtime's own log kept to errors (its notes on node placement are not for the console). */
function quiet(rt: Ort, threads: number) {
  rt.env.wasm.numThreads = threads;
  rt.env.logLevel = 'error';
}

async function createAll(graphs: GraphBytes[], ep: string) {
  const out = new Map<number, { layout: DecoderLayout; session: InferenceSession }>();
  for (const g of graphs) {
    const session = await ort!.InferenceSession.create(new Uint8Array(g.bytes), {
      executionProviders: [ep],
      graphOptimizationLevel: 'all',
      ...(g.data.length
        ? { externalData: g.data.map((d) => ({ path: d.name, data: new Uint8Array(d.bytes) })) }
        : {}),
    });
    out.set(g.index, { layout: g.layout, session });
  }
  return out;
}

async function decode(key: number, graph: number, prompt: Parameters<typeof buildDecoderFeeds>[3]) {
  const g = sessions.get(graph);
  if (!g) throw new Error(`no decoder graph ${graph}`);
  if (!embedding || embedding.key !== key) throw new Error(`the embedding of image ${key} is not loaded`);
  const emb = embedding.emb;
  const feeds = buildDecoderFeeds(g.layout, g.session.inputNames, emb, prompt);
  const ortFeeds: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort!.Tensor(t.type, t.data, t.dims);
  const t0 = performance.now();
  const out = await g.session.run(ortFeeds);
  const runMs = performance.now() - t0;
  const plain: Record<string, { data: unknown; dims: readonly number[] }> = {};
  const outputs: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(out)) {
    plain[name] = { data: t.data, dims: t.dims };
    outputs[name] = [...t.dims];
  }
  const candidates = candidateMasks(readDecoderOutputs(plain), emb, true).map((c) => ({
    width: c.mask.width,
    height: c.mask.height,
    data: c.mask.data,
    score: c.score,
  }));
  const inputs = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, [...t.dims]]));
  return { candidates, inputs, outputs, runMs } satisfies DecodedOut;
}

// A thread of ONNX Runtime's own is also named em-pthread; it loads ONNX Runtime's module, never this one, but the
// guard keeps this handler out of any worker that is not the decoder's.
if (!scope.name?.startsWith('em-pthread'))
  scope.addEventListener('message', async (e) => {
    const { id, ...req } = e.data;
    try {
      if (req.kind === 'init') scope.postMessage({ id, ok: true, value: await init(req.graphs, req.want) });
      else if (req.kind === 'embedding') {
        embedding = { key: req.key, emb: req.emb };
        scope.postMessage({ id, ok: true, value: null });
      } else {
        const value = await decode(req.key, req.graph, req.prompt);
        scope.postMessage(
          { id, ok: true, value },
          value.candidates.map((c) => c.data.buffer as ArrayBuffer),
        );
      }
    } catch (err) {
      scope.postMessage({ id, ok: false, message: (err as Error).message ?? String(err) });
    }
  });
