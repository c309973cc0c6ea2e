// The annotator's editor: one object per annotator page, holding the state store and everything that changes it.
// What it talks to comes in as `EditorDeps` (the API, the decoder, embeddings, the save queue), so that its tests run
// it on fakes; `browserDeps()` gives the real ones. Every edit is a command (undoable, queued for saving). Prompts,
// hover previews and candidates are in `prompts.ts`, server assists in `assists.ts`.
import { area, type Mask } from '@segkit/core/mask';
import type { EmbeddingTensors } from '@segkit/models/browser';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { api, DecoderInfoT, ModeT } from '../api.js';
import type { Decoder } from '../decoder/browser-decoder.js';
import { errorText } from '../util.js';
import { Assists } from './assists.js';
import type { BoxXYWH } from './geometry.js';
import {
  applyCommand,
  boxOf,
  type Command,
  fromServer,
  type LocalAnnotation,
  type Patch,
  record,
  redo,
  rleOf,
  snapshotOf,
  undo,
} from './history.js';
import { addClick, emptyPrompt } from './prompt.js';
import { Prompts } from './prompts.js';
import { type EditorState, initialState } from './state.js';
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
  | 'projectModels'
  | 'applyRecipe'
  | 'applyCascade'
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

const newKey = () => `l${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export class Editor {
  readonly store: StoreApi<EditorState> = createStore<EditorState>(() => initialState());
  readonly assists: Assists;
  readonly prompts: Prompts;
  private sync: SaveQueue | null = null;
  /** The project's browser decoder (null: prompts go to the server). */
  decoder: Decoder | null = null;
  private readonly warmed = new WeakSet<Decoder>();
  private seq = 0;

  constructor(readonly deps: EditorDeps) {
    this.assists = new Assists(this);
    this.prompts = new Prompts(this);
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
    // In find-all with a SAM 3 model, the next image's SAM 3 encoding (the long part) is made now too.
    if (nextImageId && mode === 'find_all')
      void this.deps.api
        .projectModels(projectId)
        .then((m) => (m.find && !m.find.pipeline ? this.deps.api.preload(nextImageId, true) : undefined))
        .catch(() => {});
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

  /** Applies a command, records it for undo, and queues its save; `also`: state that changes with it (one render). */
  execute(cmd: Command, also: Partial<EditorState> = {}) {
    this.set((s) => ({
      annotations: applyCommand(s.annotations, cmd),
      history: record(s.history, cmd),
      ...also,
    }));
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

  update(key: string, patch: Patch, also: Partial<EditorState> = {}) {
    const a = this.state.annotations.find((x) => x.key === key);
    if (!a) return;
    this.execute({ kind: 'update', key, before: snapshotOf(a, patch), after: patch }, also);
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

  /** Replaces an annotation's mask (the polygon editor's result). */
  setMask(key: string, mask: Mask) {
    if (area(mask) === 0) return;
    this.update(key, { rle: rleOf(mask), bbox: boxOf(mask) });
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
}
