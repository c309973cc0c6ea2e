// The examples of `segkit text train`: the manifest's (image, label) rows of one split, their masks at the model's
// size, the label-aware or dataset-aware balancing of an epoch, and the seeded draw of one prompt per example.
import { basename, extname } from 'node:path';
import { InvalidArgumentError, type Mask, seededRandom } from '@segkit/core';
import type { PromptSet } from '@segkit/models';
import { manifestSource } from './eval-sources.js';
import { type ManifestRow, readManifest } from './manifest.js';

export interface TrainRow {
  image: string;
  stem: string;
  label: string;
  source: string;
}

const stemOf = (p: string) => basename(p, extname(p));

/** The rows of `split` whose label is in the prompt set and that have a mask. */
export async function splitRows(manifest: string, split: string, prompts: PromptSet): Promise<TrainRow[]> {
  const all: ManifestRow[] = await readManifest(manifest);
  const rows = all.filter((r) => r.split === split && r.mask_path && prompts[r.label]);
  if (!rows.length) {
    const splits = [...new Set(all.map((r) => r.split).filter(Boolean))];
    throw new InvalidArgumentError(
      `${manifest} has no ${split} rows with a mask and a label of the prompt set (${Object.keys(prompts).join(', ')}); its splits: ${splits.join(', ') || 'none'}`,
    );
  }
  return rows.map((r) => ({
    image: r.image_path,
    stem: stemOf(r.image_path),
    label: r.label,
    source: r.source_dataset,
  }));
}

/** A mask stretched to side×side (nearest pixel), as the processor stretches the image to 352×352. */
export function targetAt(mask: Mask, side: number): Uint8Array {
  const out = new Uint8Array(side * side);
  for (let y = 0; y < side; y++) {
    const sy = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / side));
    for (let x = 0; x < side; x++) {
      const sx = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / side));
      out[y * side + x] = mask.data[sy * mask.width + sx] ? 1 : 0;
    }
  }
  return out;
}

/** Each row's target at the model's size. */
export async function loadTargets(
  manifest: string,
  split: string,
  rows: TrainRow[],
  side: number,
): Promise<Uint8Array[]> {
  const source = await manifestSource(manifest, split);
  return Promise.all(
    rows.map(async (r) => {
      const v = await source.load(r.label, r.stem);
      if (v?.kind !== 'mask') throw new InvalidArgumentError(`No mask for ${r.label} in ${r.image}`);
      return targetAt(v.mask, side);
    }),
  );
}

/**
 * The row order of one epoch, seeded by (seed, epoch). `label` or `dataset` balancing repeats the rows of smaller
 * groups (drawn at random) until every group has as many as the largest.
 */
export function epochOrder(
  rows: TrainRow[],
  seed: number,
  epoch: number,
  balance?: 'label' | 'dataset',
): number[] {
  const rand = seededRandom(seed * 1009 + epoch + 1);
  let order = rows.map((_, i) => i);
  if (balance) {
    const groups = new Map<string, number[]>();
    rows.forEach((r, i) => {
      const k = balance === 'label' ? r.label : r.source;
      groups.set(k, [...(groups.get(k) ?? []), i]);
    });
    const largest = Math.max(...[...groups.values()].map((g) => g.length));
    order = [...groups.values()].flatMap((g) => [
      ...g,
      ...Array.from({ length: largest - g.length }, () => g[Math.floor(rand() * g.length)]!),
    ]);
  }
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** One prompt of the row's label, drawn at random (the report's recipe). */
export function drawPrompt(prompts: PromptSet, label: string, rand: () => number): string {
  const list = prompts[label]!;
  return list[Math.floor(rand() * list.length)]!;
}
