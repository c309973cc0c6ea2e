import { InvalidArgumentError, seededRandom } from '@segkit/core';

export const SPLITS = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

/** An item to split: an image id and the labels it carries. */
export interface SplitItem {
  id: string;
  labels: string[];
}

/**
 * A seeded, label-aware split of images into train/val/test (default 70/15/15 and seed 42).
 * The result depends only on the items' ids and labels, the seed and the ratios (not on input order).
 * Rarest labels first, each split receives an image of every label that has at least 3 images, when possible;
 * the remaining images fill the splits towards their target sizes.
 */
export function splitItems(
  items: SplitItem[],
  opts: { seed?: number; ratios?: [number, number, number] } = {},
): Map<string, SplitName> {
  const ratios = opts.ratios ?? [0.7, 0.15, 0.15];
  const seed = opts.seed ?? 42;
  if (ratios.length !== 3 || ratios.some((r) => !(r >= 0)) || !(ratios[0] + ratios[1] + ratios[2] > 0)) {
    throw new InvalidArgumentError(
      `Expected three non-negative ratios for train/val/test but received ${JSON.stringify(ratios)}`,
    );
  }
  const sum = ratios[0] + ratios[1] + ratios[2];
  const order = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rand = seededRandom(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const n = order.length;
  const target = ratios.map((r) => Math.floor((n * r) / sum));
  for (let k = 0; target.reduce((a, b) => a + b, 0) < n; k++) target[k % 3]!++;
  const assigned = new Map<string, SplitName>();
  const size = [0, 0, 0];
  const put = (item: SplitItem, s: number) => {
    assigned.set(item.id, SPLITS[s]!);
    size[s]!++;
  };
  // Coverage: rarest labels first, give every split one image of each label that has at least 3 images.
  const freq = new Map<string, number>();
  for (const it of order) for (const l of new Set(it.labels)) freq.set(l, (freq.get(l) ?? 0) + 1);
  const labels = [...freq.keys()]
    .filter((l) => freq.get(l)! >= 3)
    .sort((a, b) => freq.get(a)! - freq.get(b)! || (a < b ? -1 : 1));
  for (const label of labels) {
    for (let s = 0; s < 3; s++) {
      if (target[s] === 0) continue;
      const covered = order.some((it) => assigned.get(it.id) === SPLITS[s] && it.labels.includes(label));
      if (covered) continue;
      const pick = order.find((it) => !assigned.has(it.id) && it.labels.includes(label));
      if (pick) put(pick, s);
    }
  }
  // Fill: each remaining image goes to the split furthest below its target.
  for (const it of order) {
    if (assigned.has(it.id)) continue;
    let best = 0;
    for (let s = 1; s < 3; s++) if (target[s]! - size[s]! > target[best]! - size[best]!) best = s;
    put(it, best);
  }
  repairCoverage(order, labels, target, assigned);
  return assigned;
}

/**
 * Greedy coverage can miss a label in a split when its images were all taken by rarer labels. This moves an image
 * of the missing label out of a split that holds at least two images of each of its labels, so nothing else loses
 * coverage. It stops when no such move is left.
 */
function repairCoverage(
  order: SplitItem[],
  labels: string[],
  target: number[],
  assigned: Map<string, SplitName>,
): void {
  const count = (s: SplitName, l: string) =>
    order.filter((it) => assigned.get(it.id) === s && it.labels.includes(l)).length;
  for (let round = 0; round < order.length; round++) {
    let moved = false;
    for (const label of labels) {
      for (let s = 0; s < 3; s++) {
        if (target[s] === 0 || count(SPLITS[s]!, label) > 0) continue;
        const movable = order.find((it) => {
          const from = assigned.get(it.id)!;
          return (
            from !== SPLITS[s] &&
            it.labels.includes(label) &&
            new Set(it.labels).size > 0 &&
            [...new Set(it.labels)].every((l) => count(from, l) >= 2)
          );
        });
        if (movable) {
          assigned.set(movable.id, SPLITS[s]!);
          moved = true;
        }
      }
    }
    if (!moved) return;
  }
}

/** Per-split, per-label image counts, for the table `segkit dataset split` prints. */
export function splitTable(
  items: SplitItem[],
  assignment: Map<string, SplitName>,
): {
  labels: string[];
  counts: Record<SplitName, Record<string, number>>;
  images: Record<SplitName, number>;
} {
  const labels = [...new Set(items.flatMap((i) => i.labels))].sort();
  const counts = Object.fromEntries(
    SPLITS.map((s) => [s, Object.fromEntries(labels.map((l) => [l, 0]))]),
  ) as Record<SplitName, Record<string, number>>;
  const images = { train: 0, val: 0, test: 0 };
  for (const it of items) {
    const s = assignment.get(it.id)!;
    images[s]++;
    for (const l of new Set(it.labels)) counts[s][l]!++;
  }
  return { labels, counts, images };
}

/**
 * {@link splitItems} over images given by id, each carrying the labels of its annotations: the split of each image.
 * `images` lists the images to split (those with no annotation too, when given).
 */
export function splitImages(
  annotations: { imageId: number; label: string }[],
  images: number[],
  opts: { seed?: number; ratios?: [number, number, number] } = {},
): Map<number, SplitName> {
  const labels = new Map<number, Set<string>>();
  for (const a of annotations) {
    const set = labels.get(a.imageId) ?? new Set<string>();
    set.add(a.label);
    labels.set(a.imageId, set);
  }
  const out = splitItems(
    images.map((id) => ({ id: String(id), labels: [...(labels.get(id) ?? [])] })),
    opts,
  );
  return new Map([...out].map(([id, s]) => [Number(id), s]));
}
