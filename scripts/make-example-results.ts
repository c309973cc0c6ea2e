// Writes examples/dataset/results.json: a COCO results list for examples/dataset/coco, as a detector would write it
// (seeded): most objects found with a slightly shifted mask, a few missed, a few false positives, one wrong class.
import { readFileSync, writeFileSync } from 'node:fs';
import { maskToRle, polygonsToRle, rleBbox, rleToMask, seededRandom } from '../packages/core/src/index.js';

const dir = new URL('../examples/dataset/', import.meta.url).pathname;
const coco = JSON.parse(readFileSync(`${dir}coco/annotations.json`, 'utf8'));
const rand = seededRandom(5);
const images = new Map(coco.images.map((i: { id: number; width: number; height: number }) => [i.id, i]));
const results = [];
for (const a of coco.annotations) {
  if (rand() < 0.12) continue; // missed
  const img = images.get(a.image_id) as { width: number; height: number };
  const m = rleToMask(polygonsToRle(a.segmentation, img.height, img.width));
  const dx = Math.round((rand() - 0.5) * 8);
  const dy = Math.round((rand() - 0.5) * 8);
  const data = new Uint8Array(m.width * m.height);
  for (let y = 0; y < m.height; y++)
    for (let x = 0; x < m.width; x++) {
      const sx = x - dx;
      const sy = y - dy;
      if (sx >= 0 && sy >= 0 && sx < m.width && sy < m.height)
        data[y * m.width + x] = m.data[sy * m.width + sx]!;
    }
  const rle = maskToRle({ width: m.width, height: m.height, data });
  const wrong = rand() < 0.08;
  results.push({
    image_id: a.image_id,
    category_id: wrong ? (a.category_id % 3) + 1 : a.category_id,
    segmentation: rle,
    bbox: rleBbox(rle),
    score: Number((0.5 + rand() * 0.5).toFixed(3)),
  });
}
for (let i = 0; i < 4; i++) {
  const img = coco.images[i * 2];
  const data = new Uint8Array(img.width * img.height);
  for (let y = 10; y < 40; y++) data.fill(1, y * img.width + 180, y * img.width + 220);
  const rle = maskToRle({ width: img.width, height: img.height, data });
  results.push({
    image_id: img.id,
    category_id: 1 + (i % 3),
    segmentation: rle,
    bbox: rleBbox(rle),
    score: Number((0.3 + rand() * 0.4).toFixed(3)),
  });
}
writeFileSync(`${dir}results.json`, `${JSON.stringify(results)}\n`);
console.log(`wrote ${results.length} detections to ${dir}results.json`);
