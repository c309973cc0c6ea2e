// The editor's server assists: find-all on the image, the text prompt, refine a box with SAM, auto-class, point → box.
// Each reports its error as a sentence in the editor's state; find-all and point → box are timed like clicks.
import { errorText } from '../util.js';
import type { Editor } from './editor.js';
import type { Point } from './geometry.js';
import { type Command, fromServer, type Patch, snapshotOf } from './history.js';

export class Assists {
  constructor(private readonly ed: Editor) {}

  /** Saves the image's find-all text prompt (when the field loses focus), so that a reload keeps what was typed. */
  async saveTextPrompt(text: string) {
    const image = this.ed.state.image;
    if (!image || (image.textPrompt ?? '') === text) return;
    try {
      this.ed.set({ image: await this.ed.deps.api.updateImage(image.id, { textPrompt: text || null }) });
    } catch (e) {
      this.ed.set({ error: errorText(e) });
    }
  }

  /** Find-all on this image with its text prompt and exemplars; the found objects replace earlier model-made ones. */
  async findAll(text: string) {
    const ed = this.ed;
    const image = ed.state.image!;
    ed.set({ busy: 'finding all', notice: null });
    ed.prompts.startTiming('find-all', 'server');
    try {
      await ed.waitSaved();
      await this.saveTextPrompt(text);
      const { model } = await ed.deps.api.findAll(image.id, text || undefined);
      const by = model ? ` (SAM 3: ${shortModel(model)})` : ' (CLIPSeg + SAM + CLIP)';
      const found = await this.reloadFound((a) => a.source === 'model' && a.promptType === 'segment');
      ed.set({
        notice:
          found === 0
            ? `Found nothing${text ? ` for “${text}”` : ''}${by}: try another text prompt or draw an exemplar box.`
            : `Found ${found} object${found === 1 ? '' : 's'}${text ? ` for “${text}”` : ''}${by}.`,
      });
    } catch (e) {
      ed.prompts.failTiming(errorText(e));
    }
  }

  /**
   * Applies recipes to this image on the server: one recipe, or several as a cascade (in the order given, de-duplicated
   * across them). Their objects replace what those recipes made here before.
   */
  async applyRecipes(recipes: { id: number; name: string }[]) {
    const ed = this.ed;
    const image = ed.state.image!;
    if (!recipes.length) return;
    const what =
      recipes.length === 1 ? `recipe “${recipes[0]!.name}”` : `a cascade of ${recipes.length} recipes`;
    ed.set({ busy: `applying ${what}`, notice: null });
    ed.prompts.startTiming('recipe', 'server');
    try {
      await ed.waitSaved();
      const ids = recipes.map((r) => r.id);
      if (ids.length === 1) await ed.deps.api.applyRecipe(image.id, ids[0]!);
      else await ed.deps.api.applyCascade(image.id, ids);
      const names = new Set(recipes.map((r) => `recipe:${r.name}`));
      const found = await this.reloadFound((a) => names.has(a.model ?? ''));
      ed.set({
        notice:
          found === 0
            ? `The ${what} found nothing here.`
            : `The ${what} found ${found} object${found === 1 ? '' : 's'}.`,
      });
    } catch (e) {
      ed.prompts.failTiming(errorText(e));
    }
  }

  /** Reads the image's find-all annotations again after the server changed them; returns how many `counted`. */
  private async reloadFound(counted: (a: ReturnType<typeof fromServer>) => boolean): Promise<number> {
    const ed = this.ed;
    const image = ed.state.image!;
    // Annotations already here keep their local key, so that undoing an earlier edit still finds them.
    const keyOf = new Map(ed.state.annotations.map((a) => [a.id, a.key]));
    const list = (await ed.deps.api.annotations(image.id, 'find_all'))
      .map(fromServer)
      .map((a) => ({ ...a, key: keyOf.get(a.id) ?? a.key }));
    for (const a of list) ed.saveQueue?.know(a.key, a.id!, a.version);
    ed.prompts.resultReady();
    ed.set({ annotations: list, busy: null, error: null });
    return list.filter(counted).length;
  }

  /** Refines a box annotation with SAM (X); `all`: every annotation of its label (double-tap X). */
  async refine(key: string, all = false) {
    const ed = this.ed;
    const s = ed.state;
    const a = s.annotations.find((x) => x.key === key);
    if (!a) return;
    const targets = all
      ? s.annotations.filter((x) => x.label === a.label && x.promptType === 'segment')
      : [a];
    ed.set({ busy: `refining ${targets.length}` });
    try {
      const commands: Command[] = [];
      for (const t of targets) {
        const r = await ed.deps.api.refineBox(s.image!.id, t.bbox);
        const patch: Patch = { bbox: r.box, rle: r.rle, score: r.score };
        commands.push({ kind: 'update', key: t.key, before: snapshotOf(t, patch), after: patch });
      }
      ed.execute({ kind: 'batch', commands });
      ed.set({ busy: null });
    } catch (e) {
      ed.set({ busy: null, error: errorText(e) });
    }
  }

  /** Ranks the project's labels for the selected annotation (auto-class). */
  async autoClass(key: string) {
    const ed = this.ed;
    const a = ed.state.annotations.find((x) => x.key === key);
    if (!a) return;
    ed.set({ busy: 'classifying', ranked: null });
    try {
      const r = await ed.deps.api.classify(ed.state.image!.id, a.rle ? { rle: a.rle } : { box: a.bbox });
      ed.set({
        ranked: r.ranked,
        rankedBy: { source: r.source, head: r.head, unsure: r.unsure },
        busy: null,
      });
    } catch (e) {
      ed.set({ busy: null, error: errorText(e) });
    }
  }

  /** Accepts a ranked label for the selected annotation. */
  accept(label: string) {
    const key = this.ed.state.selected;
    if (!key) return;
    this.ed.update(key, { label });
    this.ed.set({ ranked: null });
  }

  /** One click → a box and mask from the server, then a label suggestion. */
  async pointToBox(point: Point) {
    const ed = this.ed;
    ed.set({ busy: 'point to box' });
    ed.prompts.startTiming('point → box', 'server');
    try {
      const r = await ed.deps.api.pointToBox(ed.state.image!.id, point);
      const a = ed.newAnnotation({ bbox: r.box, rle: r.rle, score: r.score, model: r.model });
      ed.prompts.resultReady();
      ed.execute({ kind: 'add', annotation: a });
      ed.set({ selected: a.key, busy: null, error: null });
      void this.autoClass(a.key);
    } catch (e) {
      ed.prompts.failTiming(errorText(e));
    }
  }
}

/** A model reference as the rail shows it: a folder by its last part, anything else as it is. */
const shortModel = (ref: string) => ref.split('/').filter(Boolean).pop() ?? ref;
