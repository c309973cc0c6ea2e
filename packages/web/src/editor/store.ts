// The annotator's state, outside React (a zustand vanilla store): the image's annotations in one mode, the prompt
// being built, its candidates, the undo history and the save queue. Every edit goes through `execute`.
import { area, bbox, type Mask, maskToRle, rleToMask } from '@segkit/core/mask';
import type { EmbeddingTensors } from '@segkit/models/browser';
import { createStore } from 'zustand/vanilla';
import { type AnnotationT, api, type DecoderInfoT, type ImageT, type ModeT } from '../api.js';
import { BrowserDecoder, type DecodedMask } from '../decoder/browser-decoder.js';
import { fetchEmbedding } from '../decoder/embedding.js';
import { errorText } from '../util.js';
import type { BoxXYWH, Point } from './geometry.js';
import {
  applyCommand,
  type Command,
  fromServer,
  type History,
  type LocalAnnotation,
  type Patch,
  record,
  redo,
  snapshotOf,
  undo,
} from './history.js';
import {
  addClick,
  type DraftPrompt,
  emptyPrompt,
  isEmpty,
  toSegmentRequest,
  withBox,
  withHover,
} from './prompt.js';
import { opsOf, SyncQueue } from './sync.js';

export type Tool = 'point' | 'box' | 'exemplar' | 'point-to-box' | 'edit';

export interface EditorState {
  projectId: number | null;
  image: ImageT | null;
  mode: ModeT;
  annotations: LocalAnnotation[];
  selected: string | null;
  /** The annotation the current prompt is building (clicks refine it until Enter or N). */
  active: string | null;
  draft: DraftPrompt;
  candidates: DecodedMask[] | null;
  chosen: number;
  preview: Mask | null;
  tool: Tool;
  exemplarPolarity: 'positive' | 'negative';
  label: string | null;
  history: History;
  /** Where prompts run: in the browser, or on the server (classic backend, or a prompt no browser graph takes). */
  path: 'loading' | 'browser' | 'server';
  pathNote: string;
  /** The project model's decoder graphs and the prompt parts they take (null until known). */
  decoderInfo: DecoderInfoT | null;
  embedding: 'idle' | 'loading' | 'ready' | 'error';
  preloadNext: 'idle' | 'loading' | 'ready' | 'error';
  pending: number;
  conflict: { message: string } | null;
  offline: string | null;
  error: string | null;
  busy: string | null;
  ranked: { label: string; probability: number }[] | null;
  /** Who ranked them: the project's active head (its name) or zero-shot CLIP; and whether the top is unsure. */
  rankedBy: { source: 'head' | 'zero-shot'; head: string | null; unsure: boolean } | null;
  /** Click → mask drawn, in ms, for the last prompts (the annotator's speed report). */
  timings: number[];
}

const initial = (): EditorState => ({
  projectId: null,
  image: null,
  mode: 'inside_box',
  annotations: [],
  selected: null,
  active: null,
  draft: emptyPrompt(),
  candidates: null,
  chosen: 0,
  preview: null,
  tool: 'point',
  exemplarPolarity: 'positive',
  label: null,
  history: { past: [], future: [] },
  path: 'loading',
  decoderInfo: null,
  pathNote: '',
  embedding: 'idle',
  preloadNext: 'idle',
  pending: 0,
  conflict: null,
  offline: null,
  error: null,
  busy: null,
  ranked: null,
  rankedBy: null,
  timings: [],
});

export const editor = createStore<EditorState>(() => initial());
const set = editor.setState;
const get = editor.getState;

// Decoders per project+model, embeddings per image (a few kept).
const decoders = new Map<string, Promise<BrowserDecoder | { info: DecoderInfoT }>>();
const embeddings = new Map<number, Promise<EmbeddingTensors>>();
let sync: SyncQueue | null = null;
const warmed = new WeakSet<BrowserDecoder>();
let decoder: BrowserDecoder | null = null;
let seq = 0;
let hoverSeq = 0;
let hoverAt: Point | null = null;
let hovering = false;
let clickStarted = 0;

const rleOf = (m: Mask) => maskToRle(m) as { size: [number, number]; counts: string };
const boxOf = (m: Mask): BoxXYWH => bbox(m) as BoxXYWH;

function embeddingOf(imageId: number): Promise<EmbeddingTensors> {
  let p = embeddings.get(imageId);
  if (!p) {
    p = fetchEmbedding(imageId);
    embeddings.set(imageId, p);
    p.catch(() => embeddings.delete(imageId));
    if (embeddings.size > 6) embeddings.delete(embeddings.keys().next().value!);
  }
  return p;
}

/** Opens an image in a mode: its annotations (with any unsaved edits of an earlier visit), the decoder, the embedding. */
export async function openImage(projectId: number, imageId: number, mode: ModeT, nextImageId?: number) {
  const my = ++seq;
  sync?.close();
  set({
    ...initial(),
    projectId,
    mode,
    tool: get().tool === 'exemplar' && mode !== 'find_all' ? 'point' : get().tool,
    label: get().label,
    exemplarPolarity: get().exemplarPolarity,
    timings: get().timings,
  });
  const [image, list] = await Promise.all([api.image(imageId), api.annotations(imageId, mode)]);
  if (my !== seq) return;
  let annotations = list.map(fromServer);
  const queue = new SyncQueue(imageId, mode, {
    saved: (key, id, version) =>
      set((s) => ({ annotations: s.annotations.map((a) => (a.key === key ? { ...a, id, version } : a)) })),
    pending: (n) => set({ pending: n }),
    blocked: (e) =>
      set({
        conflict: {
          message:
            e.status === 409
              ? `Not saved: ${e.message}. Reload to see the server's version, or keep yours.`
              : `Not saved: ${e.code}: ${e.message}`,
        },
      }),
    offline: (e) =>
      set({ offline: e ? `Offline: ${e.message}. Your edits are kept and will be saved.` : null }),
  });
  const { ops: restored, ids } = SyncQueue.restore(imageId, mode);
  // Annotations created in an earlier visit keep the local key its pending edits name.
  for (const [key, id] of ids) annotations = annotations.map((a) => (a.id === id ? { ...a, key } : a));
  for (const a of annotations) queue.know(a.key, a.id!, a.version);
  for (const op of restored) {
    if (op.type === 'create')
      annotations = applyCommand(annotations, { kind: 'add', annotation: op.annotation });
    else if (op.type === 'delete') annotations = annotations.filter((a) => a.key !== op.key);
    else annotations = annotations.map((a) => (a.key === op.key ? { ...a, ...op.patch } : a));
  }
  sync = queue;
  set({ image, annotations });
  // Edits that an earlier visit could not save are sent now, in their order.
  if (restored.length) queue.push(restored);
  await loadDecoder(projectId, imageId, my);
  if (nextImageId) {
    set({ preloadNext: 'loading' });
    (decoder ? embeddingOf(nextImageId) : api.preload(nextImageId)).then(
      () => my === seq && set({ preloadNext: 'ready' }),
      () => my === seq && set({ preloadNext: 'error' }),
    );
  }
}

async function loadDecoder(projectId: number, imageId: number, my: number) {
  const key = String(projectId);
  let p = decoders.get(key);
  if (!p) {
    p = BrowserDecoder.load(projectId);
    decoders.set(key, p);
    p.catch(() => decoders.delete(key));
  }
  try {
    const d = await p;
    if (my !== seq) return;
    set({ decoderInfo: d.info });
    if (d instanceof BrowserDecoder) {
      decoder = d;
      set({
        embedding: 'loading',
        path: 'loading',
        pathNote: `${d.info.model}: loading the image embedding`,
      });
      const emb = await embeddingOf(imageId);
      if (my !== seq) return;
      // One throw-away run, so that the first click does not pay for WASM warm-up.
      if (!warmed.has(d)) {
        warmed.add(d);
        const centre: Point = [emb.originalSize[1] / 2, emb.originalSize[0] / 2];
        const probe = addClick(emptyPrompt(), centre, 1);
        if (d.accepts(probe)) await d.decode(emb, probe).catch(() => undefined);
        if (my !== seq) return;
      }
      set({ embedding: 'ready', path: 'browser', pathNote: `${d.info.model}, decoder in the browser` });
    } else {
      decoder = null;
      set({ path: 'server', pathNote: `${d.info.model} on the server: ${d.info.reason ?? ''}` });
    }
  } catch (e) {
    if (my !== seq) return;
    decoder = null;
    set({
      path: 'server',
      embedding: 'error',
      pathNote: `prompts go to the server (${errorText(e)})`,
      error: errorText(e),
    });
  }
}

/** Runs a prompt where it can run: the browser decoder, else the server's segment route. */
async function runPrompt(prompt: DraftPrompt): Promise<DecodedMask[]> {
  const image = get().image!;
  if (decoder && get().embedding === 'ready' && decoder.accepts(prompt)) {
    const emb = await embeddingOf(image.id);
    return (await decoder.decode(emb, prompt)).candidates;
  }
  const res = await api.segment(image.id, toSegmentRequest(prompt));
  return res.candidates.map((c) => ({ mask: rleToMask(c.rle), score: c.score }));
}

/** Applies a command, records it for undo, and queues its save. */
export function execute(cmd: Command) {
  set((s) => ({ annotations: applyCommand(s.annotations, cmd), history: record(s.history, cmd) }));
  sync?.push(opsOf(cmd));
}

export function undoLast() {
  const r = undo(get().history);
  if (!r) return;
  set((s) => ({
    annotations: applyCommand(s.annotations, r.apply),
    history: r.history,
    active: null,
    candidates: null,
    draft: emptyPrompt(),
  }));
  sync?.push(opsOf(r.apply));
}

export function redoNext() {
  const r = redo(get().history);
  if (!r) return;
  set((s) => ({ annotations: applyCommand(s.annotations, r.apply), history: r.history }));
  sync?.push(opsOf(r.apply));
}

export function update(key: string, patch: Patch) {
  const a = get().annotations.find((x) => x.key === key);
  if (!a) return;
  execute({ kind: 'update', key, before: snapshotOf(a, patch), after: patch });
}

export function remove(key: string) {
  const a = get().annotations.find((x) => x.key === key);
  if (!a) return;
  execute({ kind: 'remove', annotation: a });
  set({ selected: null, active: get().active === key ? null : get().active });
}

const newKey = () => `l${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

function newAnnotation(fields: Partial<LocalAnnotation> & Pick<LocalAnnotation, 'bbox'>): LocalAnnotation {
  const s = get();
  return {
    key: newKey(),
    id: null,
    version: 0,
    imageId: s.image!.id,
    mode: s.mode,
    label: s.label,
    promptType: 'segment',
    source: 'user',
    rle: null,
    score: null,
    model: null,
    ...fields,
  };
}

/** Runs the draft prompt and saves its best candidate: a new annotation, or the active one refined. */
async function prompt(draft: DraftPrompt) {
  clickStarted = performance.now();
  hoverSeq++; // a preview still running is stale now
  set({ draft, busy: 'segmenting', preview: null });
  let candidates: DecodedMask[];
  try {
    candidates = await runPrompt(draft);
  } catch (e) {
    set({ busy: null, error: errorText(e) });
    return;
  }
  const best = candidates[0];
  if (!best || area(best.mask) === 0) {
    set({ busy: null, candidates, chosen: 0, error: 'The model found nothing at that prompt' });
    return;
  }
  const s = get();
  const fields = { rle: rleOf(best.mask), bbox: boxOf(best.mask), score: best.score };
  if (s.active && s.annotations.some((a) => a.key === s.active)) update(s.active, fields);
  else {
    const a = newAnnotation({ ...fields, model: decoder?.info.model ?? null });
    execute({ kind: 'add', annotation: a });
    set({ active: a.key, selected: a.key });
  }
  set({ candidates, chosen: 0, busy: null, error: null });
}

/** Called by the stage once the new mask has been drawn: records click → drawn time. */
export function markDrawn() {
  if (!clickStarted) return;
  const ms = performance.now() - clickStarted;
  clickStarted = 0;
  set((s) => ({ timings: [...s.timings.slice(-99), ms] }));
  // Kept on the page too, for the end-to-end speed report.
  const w = globalThis as { segkitTimings?: number[] };
  w.segkitTimings = [...(w.segkitTimings ?? []), ms];
}

export const click = (point: Point, label: 0 | 1) =>
  prompt(addClick(get().active ? get().draft : emptyPrompt(), point, label));

export const promptBox = (box: BoxXYWH) => {
  const base = get().active ? get().draft : emptyPrompt();
  return prompt(withBox(decoder && !decoder.accepts(withBox(base, box)) ? emptyPrompt() : base, box));
};

/** Replaces an annotation's mask (the polygon editor's result). */
export function setMask(key: string, mask: Mask) {
  if (area(mask) === 0) return;
  update(key, { rle: rleOf(mask), bbox: boxOf(mask) });
}

/** Picks candidate k (keys 1/2/3) for the active annotation. */
export function choose(k: number) {
  const s = get();
  const c = s.candidates?.[k];
  if (!c || !s.active) return;
  update(s.active, { rle: rleOf(c.mask), bbox: boxOf(c.mask), score: c.score });
  set({ chosen: k });
}

/** Ends the current object: the next click starts a new one. */
export function finish() {
  set({ active: null, draft: emptyPrompt(), candidates: null, preview: null });
}

/**
 * The hover preview: the prompt plus the point under the mouse, run in the browser only (never a request). At most
 * one preview runs at a time; moves meanwhile only update the point the next run uses.
 */
export function hover(point: Point | null) {
  hoverAt = point;
  if (!point || !decoder || get().embedding !== 'ready' || get().busy) {
    hoverSeq++;
    if (get().preview) set({ preview: null });
    return;
  }
  if (!hovering) void runHover();
}

async function runHover() {
  hovering = true;
  try {
    while (hoverAt && decoder && get().embedding === 'ready' && !get().busy) {
      const point = hoverAt;
      const my = ++hoverSeq;
      const draft = withHover(get().active ? get().draft : emptyPrompt(), point);
      if (!decoder.accepts(draft)) return;
      const out = await decoder.decode(await embeddingOf(get().image!.id), draft);
      if (my === hoverSeq) set({ preview: out.candidates[0]?.mask ?? null });
      if (hoverAt === point) return; // the mouse has not moved since
    }
  } catch {
    // A preview that fails shows nothing; the click itself reports errors.
  } finally {
    hovering = false;
  }
}

/** A box drawn with the box tool in inside-box mode: a box annotation, segmented inside by the decoder. */
export const drawBox = (box: BoxXYWH) => promptBox(box);

/** A find-all exemplar box (positive or negative). */
export function addExemplar(box: BoxXYWH, polarity: 'positive' | 'negative') {
  execute({
    kind: 'add',
    annotation: newAnnotation({
      bbox: box,
      promptType: `${polarity}_exemplar`,
      label: null,
      mode: 'find_all',
    }),
  });
}

/** Saves the image's find-all text prompt (when the field loses focus), so that a reload keeps what was typed. */
export async function saveTextPrompt(text: string) {
  const image = get().image;
  if (!image || (image.textPrompt ?? '') === text) return;
  try {
    set({ image: await api.updateImage(image.id, { textPrompt: text || null }) });
  } catch (e) {
    set({ error: errorText(e) });
  }
}

/** Find-all on this image with its text prompt and exemplars; the found objects replace earlier model-made ones. */
export async function runFindAll(text: string) {
  const image = get().image!;
  set({ busy: 'finding all' });
  try {
    await waitSaved();
    await saveTextPrompt(text);
    await api.findAll(image.id, text || undefined);
    // Annotations already here keep their local key, so that undoing an earlier edit still finds them.
    const keyOf = new Map(get().annotations.map((a) => [a.id, a.key]));
    const list = (await api.annotations(image.id, 'find_all'))
      .map(fromServer)
      .map((a) => ({ ...a, key: keyOf.get(a.id) ?? a.key }));
    for (const a of list) sync?.know(a.key, a.id!, a.version);
    set({ annotations: list, busy: null, error: null });
  } catch (e) {
    set({ busy: null, error: errorText(e) });
  }
}

/** Resolves once every queued edit has reached the server (or the queue is blocked). */
export function waitSaved(): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (!get().pending || get().conflict ? resolve() : setTimeout(check, 50));
    check();
  });
}

/** Refines a box annotation with SAM (X); `all`: every annotation of its label (double-tap X). */
export async function refine(key: string, all = false) {
  const s = get();
  const a = s.annotations.find((x) => x.key === key);
  if (!a) return;
  const targets = all ? s.annotations.filter((x) => x.label === a.label && x.promptType === 'segment') : [a];
  set({ busy: `refining ${targets.length}` });
  try {
    const commands: Command[] = [];
    for (const t of targets) {
      const r = await api.refineBox(s.image!.id, t.bbox);
      const patch: Patch = { bbox: r.box, rle: r.rle, score: r.score };
      commands.push({ kind: 'update', key: t.key, before: snapshotOf(t, patch), after: patch });
    }
    execute({ kind: 'batch', commands });
    set({ busy: null });
  } catch (e) {
    set({ busy: null, error: errorText(e) });
  }
}

/** Ranks the project's labels for the selected annotation (auto-class). */
export async function autoClass(key: string) {
  const a = get().annotations.find((x) => x.key === key);
  if (!a) return;
  set({ busy: 'classifying', ranked: null });
  try {
    const r = await api.classify(get().image!.id, a.rle ? { rle: a.rle } : { box: a.bbox });
    set({ ranked: r.ranked, rankedBy: { source: r.source, head: r.head, unsure: r.unsure }, busy: null });
  } catch (e) {
    set({ busy: null, error: errorText(e) });
  }
}

/** One click → a box and mask from the server, then a label suggestion. */
export async function pointToBox(point: Point) {
  set({ busy: 'point to box' });
  try {
    const r = await api.pointToBox(get().image!.id, point);
    const a = newAnnotation({ bbox: r.box, rle: r.rle, score: r.score, model: r.model });
    execute({ kind: 'add', annotation: a });
    set({ selected: a.key, busy: null });
    void autoClass(a.key);
  } catch (e) {
    set({ busy: null, error: errorText(e) });
  }
}

/** After a conflict: drop the local edits and load the server's annotations. */
export async function reloadFromServer() {
  const s = get();
  sync?.discard();
  set({ conflict: null });
  if (s.projectId && s.image) await openImage(s.projectId, s.image.id, s.mode);
}

/** After a conflict: save this edit over the server's newer version. */
export async function keepMine() {
  set({ conflict: null });
  await sync?.overwrite();
}

export const annotationsFromServer = (list: AnnotationT[]) => list.map(fromServer);
export { isEmpty };
