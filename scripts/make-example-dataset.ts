// Writes examples/dataset/: a small generated dataset for trying `segkit dataset` and `segkit eval` as the README
// shows them, without downloading anything. Eight 240×180 pictures of a red rectangle, a green rectangle and a blue
// disc (the scenes of examples/shapes/), in every format SegKit reads:
//   masks/       images/ + masks/<label>/<stem>.png   (the ground truth)
//   coco/        annotations.json + images/           (written from masks/ by SegKit's COCO writer)
//   yolo-seg/    YOLO segmentation polygons
//   yolo-boxes/  YOLO detection boxes only (input for `dataset build-seg`)
//   preds/       <label>/<stem>.png sample predictions: each true mask shifted 3 px right and 2 px down
//   coco.zip     coco/ as a ZIP archive (every reader also takes .zip)
//   prompts.json text prompts for `eval text` with the CLIPSeg fixture
// They are generated pictures, not photos. Run: npx tsx scripts/make-example-dataset.ts
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeImage, maskFromFunction, writeMask, writeZip } from '@segkit/core';
import { readDataset, writeDataset } from '@segkit/datasets';
import { colourScene } from '../packages/analytics/test/helpers/colour-images.js';

const root = new URL('../examples/dataset/', import.meta.url).pathname;
const COUNT = 8;
rmSync(root, { recursive: true, force: true });
const masks = join(root, 'masks');
for (const d of ['images', 'masks/red', 'masks/green', 'masks/blue'])
  mkdirSync(join(masks, d), { recursive: true });
for (let i = 0; i < COUNT; i++) {
  const stem = `img${String(i).padStart(2, '0')}`;
  const { image, truth } = colourScene(i);
  writeFileSync(join(masks, 'images', `${stem}.png`), await encodeImage(image, 'png'));
  for (const [label, m] of Object.entries(truth)) {
    await writeMask(join(masks, 'masks', label, `${stem}.png`), m);
    mkdirSync(join(root, 'preds', label), { recursive: true });
    const shifted = maskFromFunction(m.width, m.height, (x, y) =>
      x >= 3 && y >= 2 ? m.data[(y - 2) * m.width + (x - 3)] === 1 : false,
    );
    await writeMask(join(root, 'preds', label, `${stem}.png`), shifted);
  }
}
const ds = await readDataset(masks, 'masks');
await writeDataset(ds, join(root, 'coco'), 'coco');
await writeDataset(ds, join(root, 'yolo-seg'), 'yolo-seg');
await writeDataset(ds, join(root, 'yolo-boxes'), 'yolo');
const cocoDir = join(root, 'coco');
await writeZip(
  join(root, 'coco.zip'),
  ['annotations.json', ...ds.images.map((i) => `images/${i.file}`)].map((name) => ({
    name,
    data: readFileSync(join(cocoDir, name)),
  })),
);
writeFileSync(
  join(root, 'prompts.json'),
  `${JSON.stringify({ red: ['segment red'], green: ['green'], blue: ['blue'] }, null, 2)}\n`,
);
console.log(`wrote ${COUNT} images in every format to ${root}`);
