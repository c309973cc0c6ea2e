// The annotator's state: one plain object in a zustand vanilla store owned by the page's Editor. Components read the
// slices they show (useEditor(selector)); only the Editor writes it.
import type { Mask } from '@segkit/core/mask';
import type { DecoderInfoT, ImageT, ModeT } from '../api.js';
import type { DecodedMask } from '../decoder/browser-decoder.js';
import type { Point } from './geometry.js';
import type { History, LocalAnnotation } from './history.js';
import { type DraftPrompt, emptyPrompt } from './prompt.js';

export type Tool = 'point' | 'box' | 'exemplar' | 'point-to-box' | 'edit';

/** How long the last prompt took, from the prompt to its mask drawn; null after a failure. */
export interface Timing {
  ms: number;
  /** click, box, point → box */
  kind: string;
  /** Where it ran. */
  path: 'browser' | 'server';
}

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
  /** The last prompt's time to its mask drawn (the annotator's speed report); null when it failed or none ran. */
  timing: Timing | null;
  /** The keyboard crosshair, in image pixels (arrow keys move it, Enter / Shift+Enter place a point); null when off. */
  crosshair: Point | null;
  /** A message after a find-all run: how many objects it found. */
  notice: string | null;
}

export const initialState = (): EditorState => ({
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
  timing: null,
  crosshair: null,
  notice: null,
});
