// Draws examples/coffee-cup.mask.png: a hand-placed outline of the cup in examples/coffee.png
// (rim ellipse, body and handle), rasterised with SegKit's own polygon filler.
// It is an approximate human annotation for demos, not a model output.
import { polygonsToMask, writeMask } from '../packages/core/src/index.js';

const rim: number[] = [];
for (let k = 0; k <= 40; k++) {
  const t = Math.PI + (k / 40) * Math.PI; // top half of the rim ellipse, left to right
  rim.push(293 + 120 * Math.cos(t), 112 + 93 * Math.sin(t));
}
const body = [
  ...rim,
  410,
  160,
  398,
  205,
  375,
  240,
  340,
  262,
  295,
  272,
  250,
  265,
  215,
  245,
  192,
  210,
  178,
  160,
];
const handle = [200, 235, 215, 228, 240, 232, 255, 245, 250, 270, 235, 295, 215, 302, 198, 296, 195, 275];
const mask = polygonsToMask([body, handle], 600, 400);
await writeMask(new URL('../examples/coffee-cup.mask.png', import.meta.url).pathname, mask);
console.log('wrote examples/coffee-cup.mask.png');
