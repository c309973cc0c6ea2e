// Every edit of the annotator is a command: applied to the local annotations, inverted for undo, replayed for redo.
// Pure functions over plain data (unit tested); the store runs them and the sync queue persists their effects.
import { bbox, type Mask, maskToRle } from '@segkit/core/mask';
import type { AnnotationT } from '../api.js';
import type { BoxXYWH } from './geometry.js';

/** An annotation as the editor holds it: a stable local key, and the server's id and version once saved. */
export interface LocalAnnotation {
  key: string;
  id: number | null;
  version: number;
  imageId: number;
  mode: AnnotationT['mode'];
  label: string | null;
  promptType: AnnotationT['promptType'];
  source: AnnotationT['source'];
  bbox: AnnotationT['bbox'];
  rle: AnnotationT['rle'];
  score: number | null;
  model: string | null;
}

/** The fields an update may change. */
export type Patch = Partial<Pick<LocalAnnotation, 'label' | 'bbox' | 'rle' | 'promptType' | 'score'>>;

export type Command =
  | { kind: 'add'; annotation: LocalAnnotation }
  | { kind: 'remove'; annotation: LocalAnnotation }
  | { kind: 'update'; key: string; before: Patch; after: Patch }
  | { kind: 'batch'; commands: Command[] };

export function fromServer(a: AnnotationT): LocalAnnotation {
  return {
    key: `s${a.id}`,
    id: a.id,
    version: a.version,
    imageId: a.imageId,
    mode: a.mode,
    label: a.label,
    promptType: a.promptType,
    source: a.source,
    bbox: a.bbox,
    rle: a.rle,
    score: a.score,
    model: a.model,
  };
}

/** Applies a command to a list of annotations (a new list; the input is not changed). */
export function applyCommand(list: LocalAnnotation[], cmd: Command): LocalAnnotation[] {
  switch (cmd.kind) {
    case 'add':
      return list.some((a) => a.key === cmd.annotation.key) ? list : [...list, cmd.annotation];
    case 'remove':
      return list.filter((a) => a.key !== cmd.annotation.key);
    case 'update':
      return list.map((a) => (a.key === cmd.key ? { ...a, ...cmd.after } : a));
    case 'batch':
      return cmd.commands.reduce(applyCommand, list);
  }
}

/** The command that undoes `cmd`. */
export function invert(cmd: Command): Command {
  switch (cmd.kind) {
    case 'add':
      return { kind: 'remove', annotation: cmd.annotation };
    case 'remove':
      return { kind: 'add', annotation: cmd.annotation };
    case 'update':
      return { kind: 'update', key: cmd.key, before: cmd.after, after: cmd.before };
    case 'batch':
      return { kind: 'batch', commands: cmd.commands.map(invert).reverse() };
  }
}

/** The part of an annotation that a patch would change: what to restore on undo. */
export function snapshotOf(a: LocalAnnotation, patch: Patch): Patch {
  const out: Patch = {};
  for (const k of Object.keys(patch) as (keyof Patch)[]) (out as Record<string, unknown>)[k] = a[k];
  return out;
}

export interface History {
  past: Command[];
  future: Command[];
}

export const LIMIT = 200;

/** A new edit: it joins the past (bounded) and clears the redo future. */
export const record = (h: History, cmd: Command): History => ({
  past: [...h.past, cmd].slice(-LIMIT),
  future: [],
});

/** Undo: the last command comes off the past; its inverse is what to apply. */
export function undo(h: History): { history: History; apply: Command } | undefined {
  const cmd = h.past.at(-1);
  if (!cmd) return undefined;
  return { history: { past: h.past.slice(0, -1), future: [cmd, ...h.future] }, apply: invert(cmd) };
}

/** Redo: the next command of the future is applied again. */
export function redo(h: History): { history: History; apply: Command } | undefined {
  const cmd = h.future[0];
  if (!cmd) return undefined;
  return { history: { past: [...h.past, cmd], future: h.future.slice(1) }, apply: cmd };
}

/** A mask as the RLE and box an annotation stores. */
export const rleOf = (m: Mask) => maskToRle(m) as { size: [number, number]; counts: string };
export const boxOf = (m: Mask): BoxXYWH => bbox(m) as BoxXYWH;
