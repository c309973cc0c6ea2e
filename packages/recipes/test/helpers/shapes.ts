// A labelled dataset for recipes: 128×128 pictures with red squares, green rectangles and blue discs (the three
// classes, labelled in COCO), plus orange squares and crimson discs (not labelled) that a "red" prompt also finds.
// The fixture models find by colour, so the distractors are what a recipe's filter has to learn to drop.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage, maskToRle, seededRandom } from '@segkit/core';
import { type Shape, shapesImage } from '../../../models/test/helpers/shapes.js';

export const CLASSES = ['red square', 'green rectangle', 'blue disc'] as const;
const KINDS: {
  name: string;
  colour: [number, number, number];
  kind: 'rect' | 'disc';
  wide?: boolean;
  label?: string;
}[] = [
  { name: 'red', colour: [210, 40, 40], kind: 'rect', label: 'red square' },
  { name: 'green', colour: [40, 170, 70], kind: 'rect', wide: true, label: 'green rectangle' },
  { name: 'blue', colour: [40, 60, 200], kind: 'disc', label: 'blue disc' },
  { name: 'orange', colour: [230, 90, 20], kind: 'rect' },
  { name: 'crimson', colour: [180, 20, 70], kind: 'disc' },
];
export const FIND_MODEL = new URL('../../../../fixtures/models/sam3-fixture', import.meta.url).pathname;
export const EMBED_MODEL = new URL('../../../../fixtures/models/clip-fixture', import.meta.url).pathname;

/** Image `i`: shapes in distinct cells of a 3×3 grid; at least one red square, and each other kind half the time. */
export function recipeScene(i: number) {
  const r = seededRandom(1000 + i);
  const u = (a: number, b: number) => Math.round(a + r() * (b - a));
  const cells = [0, 1, 2, 3, 4, 5, 6, 7, 8].sort(() => r() - 0.5);
  const want = [
    'red',
    ...(r() < 0.5 ? ['red'] : []),
    ...KINDS.slice(1)
      .filter(() => r() < 0.55)
      .map((k) => k.name),
  ];
  const shapes: (Shape & { label?: string })[] = want.map((name, k) => {
    const kind = KINDS.find((x) => x.name === name)!;
    const cell = cells[k]!;
    const s = u(16, 26);
    const w = kind.wide ? Math.min(38, s + 10) : s;
    const x = (cell % 3) * 42 + u(1, 41 - w);
    const y = Math.floor(cell / 3) * 42 + u(1, 41 - s);
    return {
      name: `${name}${k}`,
      box: [x, y, w, s],
      colour: kind.colour,
      kind: kind.kind,
      ...(kind.label ? { label: kind.label } : {}),
    };
  });
  const { image, truth } = shapesImage(128, 128, shapes);
  return { image, shapes, truth };
}

/** Writes `n` scenes as a COCO dataset (images/ + annotations.json) into a new temp folder, or into `dir`. */
export async function recipeDataset(
  n = 64,
  dir = mkdtempSync(join(tmpdir(), 'segkit-recipes-')),
): Promise<string> {
  mkdirSync(join(dir, 'images'), { recursive: true });
  const images = [];
  const annotations = [];
  for (let i = 0; i < n; i++) {
    const { image, shapes, truth } = recipeScene(i);
    const file = `s${String(i).padStart(3, '0')}.png`;
    writeFileSync(join(dir, 'images', file), await encodeImage(image, 'png'));
    images.push({ id: i + 1, file_name: file, width: 128, height: 128 });
    for (const s of shapes) {
      if (!s.label) continue;
      const rle = maskToRle(truth[s.name]!);
      annotations.push({
        id: annotations.length + 1,
        image_id: i + 1,
        category_id: CLASSES.indexOf(s.label as (typeof CLASSES)[number]) + 1,
        segmentation: rle,
        area: truth[s.name]!.data.reduce((a, v) => a + v, 0),
        bbox: s.box,
        iscrowd: 0,
      });
    }
  }
  const categories = CLASSES.map((name, k) => ({ id: k + 1, name }));
  writeFileSync(join(dir, 'annotations.json'), JSON.stringify({ images, annotations, categories }));
  return dir;
}
