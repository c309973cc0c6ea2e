// Writes examples/recipe-shapes/: 60 labelled 128×128 pictures (COCO: images/ + annotations.json) with red squares,
// green rectangles and blue discs, plus unlabelled orange squares and crimson discs that a "red" prompt also finds.
// They exist to try `segkit recipe` with the fixture test models (which find by colour); they are not photos.
import { recipeDataset } from '../packages/recipes/test/helpers/shapes.js';

const dir = new URL('../examples/recipe-shapes/', import.meta.url).pathname;
await recipeDataset(60, dir);
console.log(`wrote 60 images and annotations.json to ${dir}`);
