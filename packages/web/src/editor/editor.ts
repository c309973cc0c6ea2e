// The annotator's editor: one object per annotator page, holding the state store and everything that changes it.
// What it talks to comes in as `EditorDeps` (the API, the decoder, embeddings, the save queue), so that its tests run
// it on fakes; `browserDeps()` gives the real ones. Every edit is a command (undoable, queued for saving); prompts,
// hover previews and candidates live here; server assists are in `assists.ts`.
import { area, bbox, type Mask, maskToRle, rleToMask } from '@segkit/core/mask';
import type { EmbeddingTensors } from '@segkit/models/browser';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { api, DecoderInfoT, ModeT } from '../api.js';
import type { DecodedMask, Decoder } from '../decoder/browser-decoder.js';
import { errorText } from '../util.js';
import { Assists } from './assists.js';
import type { BoxXYWH, Point } from './geometry.js';
import {
  applyCommand,
  type Command,
  fromServer,
  type LocalAnnotation,
  type Patch,
  record,
  redo,
  snapshotOf,
  undo,
} from './history.js';
import { addClick, type DraftPrompt, emptyPrompt, toSegmentRequest, withBox, withHover } from './prompt.js';
import { type EditorState, initialState, type Timing } from './state.js';
import { type Op, opsOf, type Saved, type SyncEvents } from './sync.js';

export type EditorApi = Pick<
  typeof api,
  | 'image'
  | 'annotations'
  | 'segment'
  | 'preload'
  | 'updateImage'
  | 'findAll'
  | 'refineBox'
  | 'classify'
  | 'pointToBox'
>;

/** The save queue as the editor uses it (SyncQueue, or a fake). */
export interface SaveQueue {
  know(key: string, id: number, version: number): void;
  push(ops: Op[]): void;
  discard(): void;
  overwrite(): Promise<void>;
  close(): void;
}

export type Embedding = EmbeddingTensors & { imageId: number };

export interface EditorDeps {
  api: EditorApi;
  /** The project's browser decoder, or just its info when prompts go to the server (classic). */
  loadDecoder(projectId: number): Promise<Decoder | { info: DecoderInfoT }>;
  loadEmbedding(imageId: number): Promise<Embedding>;
  saves: {
    open(imageId: number, mode: ModeT, events: SyncEvents): SaveQueue;
    /** Edits an earlier visit could not save. */
    restore(imageId: number, mode: ModeT): Saved;
  };
  now?: () => number;
}

const rleOf = (m: Mask) => maskToRle(m) as { size: [number, number]; counts: string };
const boxOf = (m: Mask): BoxXYWH => bbox(m) as BoxXYWH;
/** Two prompts with the same key give the same masks. */
const promptKey = (p: DraftPrompt) => JSON.stringify([p.clicks, p.box]);
const newKey = () => `l${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export class Editor {
  readonly store: StoreApi<EditorState> = createStore<EditorState>(() => initialState());
  readonly assists: Assists;
  private sync: SaveQueue | null = null;
  private decoder: Decoder | null = null;
  private readonly warmed = new WeakSet<Decoder>();
  private seq = 0;
  private hoverSeq = 0;
  private hoverAt: Point | null = null;
  private hovering = false;
  /** The last hover preview's prompt and its run: a click at the same point takes its answer. */
  private lastHover: { key: string; imageId: number; result: Promise<DecodedMask[]> } | null = null;
  /** The prompt whose mask is on its way to the screen. */
  private started: { t: number; kind: string; path: Timing['path']; ready: boolean } | null = null;
  private readonly now: () => number;

  constructor(readonly deps: EditorDeps) {
    this.now = deps.now ?? (() => performance.now());
    this.assists = new Assists(this);
  }

  get state(): EditorState {
    return this.store.getState();
  }
  set(patch: Partial<EditorState> | ((s: EditorState) => Partial<EditorState>)) {
    this.store.setState(patch);
  }
  get saveQueue(): SaveQueue | null {
    return this.sync;
  }

  /** Opens an image in a mode: its annotations (with unsaved edits of an earlier visit), the decoder, the embedding. */
  async openImage(projectId: number, imageId: number, mode: ModeT, nextImageId?: number) {
    const my = ++this.seq;
    this.sync?.close();
    const was = this.state;
    this.set({
      ...initialState(),
      projectId,
      mode,
      tool: was.tool === 'exemplar' && mode !== 'find_all' ? 'point' : was.tool,
      label: was.label,
      exemplarPolarity: was.exemplarPolarity,
      timing: was.timing,
    });
    const [image, list] = await Promise.all([
      this.deps.api.image(imageId),
      this.deps.api.annotations(imageId, mode),
    ]);
    if (my !== this.seq) return;
    let annotations = list.map(fromServer);
    const queue = this.deps.saves.open(imageId, mode, {
      saved: (key, id, version) =>
        this.set((s) => ({
          annotations: s.annotations.map((a) => (a.key === key ? { ...a, id, version } : a)),
        })),
      pending: (n) => this.set({ pending: n }),
      blocked: (e) =>
        this.set({
          conflict: {
            message:
              e.status === 409
                ? `Not saved: ${e.message}. Reload to see the server's version, or keep yours.`
                : e.status === 404
                  ? 'Not saved: this annotation was deleted elsewhere (another tab or person). Reload to see the annotations as they are now.'
                  : `Not saved: ${errorText(e)}`,
          },
        }),
      offline: (e) =>
        this.set({ offline: e ? `Offline: ${e.message}. Your edits are kept and will be saved.` : null }),
    });
    const { ops: restored, ids } = this.deps.saves.restore(imageId, mode);
    // Annotations created in an earlier visit keep the local key its pending edits name.
    for (const [key, id] of ids) annotations = annotations.map((a) => (a.id === id ? { ...a, key } : a));
    for (const a of annotations) queue.know(a.key, a.id!, a.version);
    for (const op of restored) {
      if (op.type === 'create')
        annotations = applyCommand(annotations, { kind: 'add', annotation: op.annotation });
      else if (op.type === 'delete') annotations = annotations.filter((a) => a.key !== op.key);
      else annotations = annotations.map((a) => (a.key === op.key ? { ...a, ...op.patch } : a));
    }
    this.sync = queue;
    this.set({ image, annotations });
    // Edits that an earlier visit could not save are sent now, in their order.
    if (restored.length) queue.push(restored);
    await this.loadDecoder(projectId, imageId, my);
    if (nextImageId) {
      this.set({ preloadNext: 'loading' });
      (this.decoder ? this.deps.loadEmbedding(nextImageId) : this.deps.api.preload(nextImageId)).then(
        () => my === this.seq && this.set({ preloadNext: 'ready' }),
        () => my === this.seq && this.set({ preloadNext: 'error' }),
      );
    }
  }

  private async loadDecoder(projectId: number, imageId: number, my: number) {
    try {
      const d = await this.deps.loadDecoder(projectId);
      if (my !== this.seq) return;
      this.set({ decoderInfo: d.info });
      if (!('decode' in d)) {
        this.decoder = null;
        this.set({ path: 'server', pathNote: `${d.info.model} on the server: ${d.info.reason ?? ''}` });
        return;
      }
      this.decoder = d;
      this.set({
        embedding: 'loading',
        path: 'loading',
        pathNote: `${d.info.model}: loading the image embedding`,
      });
      const emb = await this.deps.loadEmbedding(imageId);
      if (my !== this.seq) return;
      // One throw-away run, so that the first click does not pay for the runtime's warm-up.
      if (!this.warmed.has(d)) {
        this.warmed.add(d);
        const probe = addClick(emptyPrompt(), [emb.originalSize[1] / 2, emb.originalSize[0] / 2], 1);
        if (d.accepts(probe)) await d.decode(emb, probe).catch(() => undefined);
        if (my !== this.seq) return;
      }
      this.set({
        embedding: 'ready',
        path: 'browser',
        pathNote: `${d.info.model}, decoder in the browser: ${d.where}`,
      });
    } catch (e) {
      if (my !== this.seq) return;
      this.decoder = null;
      this.set({
        path: 'server',
        embedding: 'error',
        pathNote: `prompts go to the server (${errorText(e)})`,
        error: errorText(e),
      });
    }
  }

  private browserTakes(prompt: DraftPrompt): boolean {
    return !!this.decoder && this.state.embedding === 'ready' && this.decoder.accepts(prompt);
  }

  /** Runs a prompt where it can run: the browser decoder, else the server's segment route. */
  private async runPrompt(prompt: DraftPrompt): Promise<DecodedMask[]> {
    const image = this.state.image!;
    if (this.browserTakes(prompt)) {
      // A click where the mouse rests is the hover preview's prompt: its run (done or under way) is the answer.
      const h = this.lastHover;
      if (h && h.key === promptKey(prompt) && h.imageId === image.id) {
        const reused = await h.result.catch(() => null);
        if (reused) return reused;
      }
      const emb = await this.deps.loadEmbedding(image.id);
      return (await this.decoder!.decode(emb, prompt)).candidates;
    }
    const res = await this.deps.api.segment(image.id, toSegmentRequest(prompt));
    return res.candidates.map((c) => ({ mask: rleToMask(c.rle), score: c.score }));
  }

  /** Applies a command, records it for undo, and queues its save. */
  execute(cmd: Command) {
    this.set((s) => ({ annotations: applyCommand(s.annotations, cmd), history: record(s.history, cmd) }));
    this.sync?.push(opsOf(cmd));
  }

  undo() {
    const r = undo(this.state.history);
    if (!r) return;
    const s = this.state;
    // Undoing a candidate choice keeps the picker: the object being built is still the active one.
    const keepsActive =
      r.apply.kind === 'update' && r.apply.key === s.active && s.annotations.some((a) => a.key === s.active);
    this.set((st) => ({
      annotations: applyCommand(st.annotations, r.apply),
      history: r.history,
      ...(keepsActive ? {} : { active: null, candidates: null, draft: emptyPrompt() }),
    }));
    this.sync?.push(opsOf(r.apply));
  }

  redo() {
    const r = redo(this.state.history);
    if (!r) return;
    this.set((s) => ({ annotations: applyCommand(s.annotations, r.apply), history: r.history }));
    this.sync?.push(opsOf(r.apply));
  }

  update(key: string, patch: Patch) {
    const a = this.state.annotations.find((x) => x.key === key);
    if (!a) return;
    this.execute({ kind: 'update', key, before: snapshotOf(a, patch), after: patch });
  }

  remove(key: string) {
    const a = this.state.annotations.find((x) => x.key === key);
    if (!a) return;
    this.execute({ kind: 'remove', annotation: a });
    this.set((s) => ({ selected: null, active: s.active === key ? null : s.active }));
  }

  newAnnotation(fields: Partial<LocalAnnotation> & Pick<LocalAnnotation, 'bbox'>): LocalAnnotation {
    const s = this.state;
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

  /** Starts the clock of a prompt: the readout shows the time once its mask is drawn (`markDrawn`). */
  startTiming(kind: string, path: Timing['path']) {
    this.started = { t: this.now(), kind, path, ready: false };
  }

  /** The prompt's result is in the state: the next drawing of the stage shows it. */
  resultReady() {
    if (this.started) this.started.ready = true;
  }

  /** A prompt failed or found nothing: no time is shown for it. */
  failTiming(message: string) {
    const ms = this.started ? this.now() - this.started.t : 0;
    this.started = null;
    this.set({ busy: null, error: message, timing: null });
    answered(false, ms);
  }

  /** Called by the stage once the new mask has been drawn: records prompt → drawn time. */
  markDrawn() {
    const st = this.started;
    if (!st?.ready) return;
    this.started = null;
    const timing: Timing = { ms: this.now() - st.t, kind: st.kind, path: st.path };
    this.set({ timing });
    answered(true, timing.ms);
  }

  /** Runs the draft prompt and saves its best candidate: a new annotation, or the active one refined. */
  private async prompt(draft: DraftPrompt, kind: string) {
    this.startTiming(kind, this.browserTakes(draft) ? 'browser' : 'server');
    this.hoverSeq++; // a preview still waiting is stale now (unless this prompt is the preview's own)
    this.set({ draft, busy: 'segmenting', preview: null });
    let candidates: DecodedMask[];
    try {
      candidates = await this.runPrompt(draft);
    } catch (e) {
      return this.failTiming(errorText(e));
    }
    const best = candidates[0];
    if (!best || area(best.mask) === 0) {
      this.set({ candidates, chosen: 0 });
      return this.failTiming('The model found nothing at that prompt');
    }
    this.resultReady();
    const s = this.state;
    const fields = { rle: rleOf(best.mask), bbox: boxOf(best.mask), score: best.score };
    if (s.active && s.annotations.some((a) => a.key === s.active)) this.update(s.active, fields);
    else {
      const a = this.newAnnotation({
        ...fields,
        model: this.decoder?.info.model ?? s.decoderInfo?.model ?? null,
      });
      this.execute({ kind: 'add', annotation: a });
      this.set({ active: a.key, selected: a.key });
    }
    this.set({ candidates, chosen: 0, busy: null, error: null });
  }

  click(point: Point, label: 0 | 1) {
    return this.prompt(addClick(this.state.active ? this.state.draft : emptyPrompt(), point, label), 'click');
  }

  /** A box drawn with the box tool: segmented inside (added to the current object's clicks when the model takes both). */
  box(box: BoxXYWH) {
    const base = this.state.active ? this.state.draft : emptyPrompt();
    const d = this.decoder;
    return this.prompt(withBox(d && !d.accepts(withBox(base, box)) ? emptyPrompt() : base, box), 'box');
  }

  /** Replaces an annotation's mask (the polygon editor's result). */
  setMask(key: string, mask: Mask) {
    if (area(mask) === 0) return;
    this.update(key, { rle: rleOf(mask), bbox: boxOf(mask) });
  }

  /** Picks candidate k (keys 1/2/3) for the active annotation. */
  choose(k: number) {
    const s = this.state;
    const c = s.candidates?.[k];
    if (!c || !s.active) return;
    this.update(s.active, { rle: rleOf(c.mask), bbox: boxOf(c.mask), score: c.score });
    this.set({ chosen: k });
  }

  /** Ends the current object: the next click starts a new one. */
  finish() {
    this.set({ active: null, draft: emptyPrompt(), candidates: null, preview: null });
  }

  /**
   * The hover preview: the prompt plus the point under the mouse, run in the browser only (never a request). At most
   * one preview runs at a time; moves meanwhile only update the point the next run uses.
   */
  hover(point: Point | null) {
    this.hoverAt = point;
    if (!point || !this.decoder || this.state.embedding !== 'ready' || this.state.busy) {
      this.hoverSeq++;
      if (this.state.preview) this.set({ preview: null });
      return;
    }
    if (!this.hovering) void this.runHover();
  }

  private async runHover() {
    this.hovering = true;
    try {
      while (this.hoverAt && this.decoder && this.state.embedding === 'ready' && !this.state.busy) {
        const point = this.hoverAt;
        const my = ++this.hoverSeq;
        const draft = withHover(this.state.active ? this.state.draft : emptyPrompt(), point);
        if (!this.decoder.accepts(draft)) return;
        const imageId = this.state.image!.id;
        const key = promptKey(draft);
        // The same prompt as the last preview (a pointer event where the pointer already was): its run serves.
        let result =
          this.lastHover?.key === key && this.lastHover.imageId === imageId ? this.lastHover.result : null;
        if (!result) {
          const emb = await this.deps.loadEmbedding(imageId);
          const run: Promise<DecodedMask[]> = this.decoder
            .decode(emb, draft, () => my !== this.hoverSeq && this.lastHover?.result !== run)
            .then((o) => o.candidates);
          this.lastHover = { key, imageId, result: run };
          result = run;
        }
        const served = result;
        const candidates = await served.catch((e: unknown) => {
          if (this.lastHover?.result === served) this.lastHover = null; // dropped or failed: not to be reused
          throw e;
        });
        if (my === this.hoverSeq) this.set({ preview: candidates[0]?.mask ?? null });
        if (this.hoverAt === point) return; // the mouse has not moved since
      }
    } catch {
      // A preview that fails shows nothing; the click itself reports errors.
    } finally {
      this.hovering = false;
    }
  }

  /** A find-all exemplar box (positive or negative). */
  addExemplar(box: BoxXYWH, polarity: 'positive' | 'negative') {
    this.execute({
      kind: 'add',
      annotation: this.newAnnotation({
        bbox: box,
        promptType: `${polarity}_exemplar`,
        label: null,
        mode: 'find_all',
      }),
    });
  }

  /** Resolves once every queued edit has reached the server (or the queue is blocked). */
  waitSaved(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (!this.state.pending || this.state.conflict ? resolve() : setTimeout(check, 50));
      check();
    });
  }

  /** After a conflict: drop the local edits and load the server's annotations. */
  async reloadFromServer() {
    const s = this.state;
    this.sync?.discard();
    this.set({ conflict: null });
    if (s.projectId && s.image) await this.openImage(s.projectId, s.image.id, s.mode);
  }

  /** After a conflict: save this edit over the server's newer version. */
  async keepMine() {
    this.set({ conflict: null });
    await this.sync?.overwrite();
  }

  /** The keyboard crosshair: on at the image centre, off, or moved by (dx, dy) image pixels (kept inside). */
  crosshair(action: 'toggle' | 'off' | [number, number]) {
    const s = this.state;
    const size = s.image ? [s.image.width, s.image.height] : null;
    if (!size) return;
    if (action === 'off') return this.set({ crosshair: null, preview: null });
    if (action === 'toggle')
      return s.crosshair
        ? this.set({ crosshair: null, preview: null })
        : this.set({ crosshair: [Math.floor(size[0]! / 2), Math.floor(size[1]! / 2)] });
    const [x, y] = s.crosshair ?? [0, 0];
    const p: Point = [
      Math.min(size[0]! - 1, Math.max(0, x + action[0])),
      Math.min(size[1]! - 1, Math.max(0, y + action[1])),
    ];
    this.set({ crosshair: p });
    this.hover(p);
  }

  /** Enter / Shift+Enter with the crosshair on: a positive or negative point where it is. */
  placeAtCrosshair(label: 0 | 1) {
    const p = this.state.crosshair;
    if (p) void this.click([p[0] + 0.5, p[1] + 0.5], label);
  }
}

/** Every prompt's answer on the page, for the benchmark: its time, and whether a mask was drawn. */
function answered(drawn: boolean, ms: number) {
  const w = globalThis as { segkitAnswers?: { ms: number; drawn: boolean }[]; segkitTimings?: number[] };
  w.segkitAnswers = [...(w.segkitAnswers ?? []), { ms, drawn }];
  if (drawn) w.segkitTimings = [...(w.segkitTimings ?? []), ms];
}
