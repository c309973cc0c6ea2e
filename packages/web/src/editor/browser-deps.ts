// The editor's real dependencies in the browser: the API client, the project's decoder (loaded once per project and
// kept across pages), image embeddings (the last few kept) and the localStorage-backed save queue.
import { api, type DecoderInfoT } from '../api.js';
import { BrowserDecoder, type Decoder } from '../decoder/browser-decoder.js';
import { fetchEmbedding } from '../decoder/embedding.js';
import type { EditorDeps, Embedding } from './editor.js';
import { SyncQueue } from './sync.js';

const decoders = new Map<number, Promise<Decoder | { info: DecoderInfoT }>>();
const embeddings = new Map<number, Promise<Embedding>>();

function loadDecoder(projectId: number) {
  let p = decoders.get(projectId);
  if (!p) {
    p = BrowserDecoder.load(projectId);
    decoders.set(projectId, p);
    p.catch(() => decoders.delete(projectId));
  }
  return p;
}

function loadEmbedding(imageId: number) {
  let p = embeddings.get(imageId);
  if (!p) {
    p = fetchEmbedding(imageId).then((e) => ({ ...e, imageId }));
    embeddings.set(imageId, p);
    p.catch(() => embeddings.delete(imageId));
    if (embeddings.size > 6) embeddings.delete(embeddings.keys().next().value!);
  }
  return p;
}

/** A project's model changed (settings): its decoder is loaded again on the next visit, and its worker ends. */
export function forgetDecoder(projectId: number) {
  const d = decoders.get(projectId);
  decoders.delete(projectId);
  void d?.then((x) => x instanceof BrowserDecoder && x.close()).catch(() => undefined);
}

/** The decoder backend changed (settings): every project's decoder is loaded again. */
export function forgetDecoders() {
  for (const id of [...decoders.keys()]) forgetDecoder(id);
}

export const browserDeps = (): EditorDeps => ({
  api,
  loadDecoder,
  loadEmbedding,
  saves: {
    open: (imageId, mode, events) => new SyncQueue(imageId, mode, events),
    restore: (imageId, mode) => SyncQueue.restore(imageId, mode),
  },
});
