import { readFileSync } from 'node:fs';

/** One category of the COCO panoptic taxonomy. */
export interface PanopticCategory {
  id: number;
  name: string;
  isthing: 0 | 1;
  supercategory: string;
  color: [number, number, number];
}

let table: PanopticCategory[] | undefined;

/** The 133 COCO panoptic categories (80 things, 53 stuff), shipped in `data/` (see its README for the source). */
export function cocoPanopticCategories(): PanopticCategory[] {
  table ??= JSON.parse(
    readFileSync(new URL('../data/coco-panoptic-categories.json', import.meta.url), 'utf8'),
  ) as PanopticCategory[];
  return table;
}

/**
 * The name and thing/stuff kind of a predicted label id: the model's `id2label` entry, unless it is a placeholder
 * (`LABEL_n`), in which case the COCO panoptic category with that id.
 */
export function panopticLabel(
  id: number,
  id2label: Record<string, string> | undefined,
): { label: string; isThing: boolean } {
  const own = id2label?.[String(id)];
  const coco = cocoPanopticCategories().find((c) => c.id === id);
  const byName = own ? cocoPanopticCategories().find((c) => c.name === own) : undefined;
  if (own && !/^LABEL_\d+$/.test(own)) return { label: own, isThing: (byName ?? coco)?.isthing === 1 };
  if (coco) return { label: coco.name, isThing: coco.isthing === 1 };
  return { label: own ?? `LABEL_${id}`, isThing: false };
}
