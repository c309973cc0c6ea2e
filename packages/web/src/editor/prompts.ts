// The editor's prompts: clicks and boxes run where they can (the browser decoder, else the server), their best
// candidate becomes or refines the active annotation, 1/2/3 pick another, the hover preview runs the prompt a click
// there would send (and the click takes its answer), the keyboard crosshair places points, and each prompt is timed
// from the prompt to its mask drawn.
import { area, rleToMask } from '@segkit/core/mask';
import type { DecodedMask } from '../decoder/browser-decoder.js';
import { errorText } from '../util.js';
import type { Editor } from './editor.js';
import type { BoxXYWH, Point } from './geometry.js';
import { boxOf, rleOf } from './history.js';
import { addClick, type DraftPrompt, emptyPrompt, toSegmentRequest, withBox, withHover } from './prompt.js';
import type { Timing } from './state.js';

/** Two prompts with the same key give the same masks. */
const promptKey = (p: DraftPrompt) => JSON.stringify([p.clicks, p.box]);

export class Prompts {
  private hoverSeq = 0;
  private hoverAt: Point | null = null;
  private hovering = false;
  /** The last hover preview's prompt and its run: a click at the same point takes its answer. */
  private lastHover: { key: string; imageId: number; result: Promise<DecodedMask[]> } | null = null;
  /** The prompt whose mask is on its way to the screen. */
  private started: { t: number; kind: string; path: Timing['path']; ready: boolean } | null = null;
  private readonly now: () => number;

  constructor(private readonly ed: Editor) {
    this.now = ed.deps.now ?? (() => performance.now());
  }

  private browserTakes(prompt: DraftPrompt): boolean {
    return !!this.ed.decoder && this.ed.state.embedding === 'ready' && this.ed.decoder.accepts(prompt);
  }

  /** Runs a prompt where it can run: the browser decoder, else the server's segment route. */
  private async runPrompt(prompt: DraftPrompt): Promise<DecodedMask[]> {
    const image = this.ed.state.image!;
    if (this.browserTakes(prompt)) {
      // A click where the mouse rests is the hover preview's prompt: its run (done or under way) is the answer.
      const h = this.lastHover;
      if (h && h.key === promptKey(prompt) && h.imageId === image.id) {
        const reused = await h.result.catch(() => null);
        if (reused) return reused;
      }
      const emb = await this.ed.deps.loadEmbedding(image.id);
      return (await this.ed.decoder!.decode(emb, prompt)).candidates;
    }
    const res = await this.ed.deps.api.segment(image.id, toSegmentRequest(prompt));
    return res.candidates.map((c) => ({ mask: rleToMask(c.rle), score: c.score }));
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
    this.ed.set({ busy: null, error: message, timing: null });
    answered(false, ms);
  }

  /** Called by the stage once the new mask has been drawn: records prompt → drawn time. */
  markDrawn() {
    const st = this.started;
    if (!st?.ready) return;
    this.started = null;
    const timing: Timing = { ms: this.now() - st.t, kind: st.kind, path: st.path };
    this.ed.set({ timing });
    answered(true, timing.ms);
  }

  /** Runs the draft prompt and saves its best candidate: a new annotation, or the active one refined. */
  private async prompt(draft: DraftPrompt, kind: string) {
    this.startTiming(kind, this.browserTakes(draft) ? 'browser' : 'server');
    this.hoverSeq++; // a preview still waiting is stale now (unless this prompt is the preview's own)
    this.ed.set({ draft, busy: 'segmenting', preview: null });
    let candidates: DecodedMask[];
    try {
      candidates = await this.runPrompt(draft);
      // Apply the answer in a task of its own: the click's event task stays short even when the answer was ready.
      await new Promise((r) => setTimeout(r, 0));
    } catch (e) {
      return this.failTiming(errorText(e));
    }
    const best = candidates[0];
    if (!best || area(best.mask) === 0) {
      this.ed.set({ candidates, chosen: 0 });
      return this.failTiming('The model found nothing at that prompt');
    }
    this.resultReady();
    const s = this.ed.state;
    const fields = { rle: rleOf(best.mask), bbox: boxOf(best.mask), score: best.score };
    // The mask, the candidates and the state in one change: one render.
    const also = { candidates, chosen: 0, busy: null, error: null };
    if (s.active && s.annotations.some((a) => a.key === s.active)) this.ed.update(s.active, fields, also);
    else {
      const a = this.ed.newAnnotation({
        ...fields,
        model: this.ed.decoder?.info.model ?? s.decoderInfo?.model ?? null,
      });
      this.ed.execute({ kind: 'add', annotation: a }, { ...also, active: a.key, selected: a.key });
    }
  }

  click(point: Point, label: 0 | 1) {
    return this.prompt(
      addClick(this.ed.state.active ? this.ed.state.draft : emptyPrompt(), point, label),
      'click',
    );
  }

  /** A box drawn with the box tool: segmented inside (added to the current object's clicks when the model takes both). */
  box(box: BoxXYWH) {
    const base = this.ed.state.active ? this.ed.state.draft : emptyPrompt();
    const d = this.ed.decoder;
    return this.prompt(withBox(d && !d.accepts(withBox(base, box)) ? emptyPrompt() : base, box), 'box');
  }

  /** Picks candidate k (keys 1/2/3) for the active annotation. */
  choose(k: number) {
    const s = this.ed.state;
    const c = s.candidates?.[k];
    if (!c || !s.active) return;
    this.ed.update(s.active, { rle: rleOf(c.mask), bbox: boxOf(c.mask), score: c.score });
    this.ed.set({ chosen: k });
  }

  /** Ends the current object: the next click starts a new one. */
  finish() {
    this.ed.set({ active: null, draft: emptyPrompt(), candidates: null, preview: null });
  }

  /**
   * The hover preview: the prompt plus the point under the mouse, run in the browser only (never a request). At most
   * one preview runs at a time; moves meanwhile only update the point the next run uses.
   */
  hover(point: Point | null) {
    this.hoverAt = point;
    if (!point || !this.ed.decoder || this.ed.state.embedding !== 'ready' || this.ed.state.busy) {
      this.hoverSeq++;
      if (this.ed.state.preview) this.ed.set({ preview: null });
      return;
    }
    if (!this.hovering) void this.runHover();
  }

  private async runHover() {
    this.hovering = true;
    try {
      while (this.hoverAt && this.ed.decoder && this.ed.state.embedding === 'ready' && !this.ed.state.busy) {
        const point = this.hoverAt;
        const my = ++this.hoverSeq;
        const draft = withHover(this.ed.state.active ? this.ed.state.draft : emptyPrompt(), point);
        if (!this.ed.decoder.accepts(draft)) return;
        const imageId = this.ed.state.image!.id;
        const key = promptKey(draft);
        // The same prompt as the last preview (a pointer event where the pointer already was): its run serves.
        let result =
          this.lastHover?.key === key && this.lastHover.imageId === imageId ? this.lastHover.result : null;
        if (!result) {
          const emb = await this.ed.deps.loadEmbedding(imageId);
          const run: Promise<DecodedMask[]> = this.ed.decoder
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
        if (my === this.hoverSeq) this.ed.set({ preview: candidates[0]?.mask ?? null });
        if (this.hoverAt === point) return; // the mouse has not moved since
      }
    } catch {
      // A preview that fails shows nothing; the click itself reports errors.
    } finally {
      this.hovering = false;
    }
  }

  /** The keyboard crosshair: on at the image centre, off, or moved by (dx, dy) image pixels (kept inside). */
  crosshair(action: 'toggle' | 'off' | [number, number]) {
    const s = this.ed.state;
    const size = s.image ? [s.image.width, s.image.height] : null;
    if (!size) return;
    if (action === 'off') return this.ed.set({ crosshair: null, preview: null });
    if (action === 'toggle')
      return s.crosshair
        ? this.ed.set({ crosshair: null, preview: null })
        : this.ed.set({ crosshair: [Math.floor(size[0]! / 2), Math.floor(size[1]! / 2)] });
    const [x, y] = s.crosshair ?? [0, 0];
    const p: Point = [
      Math.min(size[0]! - 1, Math.max(0, x + action[0])),
      Math.min(size[1]! - 1, Math.max(0, y + action[1])),
    ];
    this.ed.set({ crosshair: p });
    this.hover([p[0] + 0.5, p[1] + 0.5]); // where Enter will place the point: the click takes this preview's run
  }

  /** Enter / Shift+Enter with the crosshair on: a positive or negative point where it is. */
  placeAtCrosshair(label: 0 | 1) {
    const p = this.ed.state.crosshair;
    if (p) void this.click([p[0] + 0.5, p[1] + 0.5], label);
  }
}

/** The last prompts' answers on the page, for the benchmark and the browser tests: time, and whether a mask was drawn. */
function answered(drawn: boolean, ms: number) {
  const w = globalThis as { segkitAnswers?: { ms: number; drawn: boolean }[]; segkitTimings?: number[] };
  const keep = <T>(list: T[] | undefined, x: T) => {
    const out = list ?? [];
    out.push(x);
    if (out.length > 1000) out.splice(0, out.length - 1000);
    return out;
  };
  w.segkitAnswers = keep(w.segkitAnswers, { ms, drawn });
  if (drawn) w.segkitTimings = keep(w.segkitTimings, ms);
}
