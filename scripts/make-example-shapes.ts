// Draws examples/shapes/img00.png … img11.png: 240×180 pictures with one red rectangle, one green rectangle and one
// blue disc each, at seeded sizes and places. They exist to try `segkit text/find/panoptic/analyze` with the fixture
// test models (which "segment" by colour) without downloading anything; they are not photos.
import { mkdirSync } from 'node:fs';
import { writeColourImages } from '../packages/analytics/test/helpers/colour-images.js';

const dir = new URL('../examples/shapes/', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
await writeColourImages(dir, 12);
console.log(`wrote 12 images to ${dir}`);
