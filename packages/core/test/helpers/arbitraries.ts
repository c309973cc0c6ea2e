import fc from 'fast-check';
import type { Mask } from '../../src/index.js';

type Shape = { kind: 'rect' | 'disc'; x: number; y: number; a: number; b: number; add: boolean };

/** Paints shapes in order: added rectangles/discs make parts, later subtracted ones cut holes. */
function paint(width: number, height: number, shapes: Shape[], noise: number[]): Mask {
  const data = new Uint8Array(width * height);
  for (const s of shapes) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inside =
          s.kind === 'rect'
            ? x >= s.x && x < s.x + s.a && y >= s.y && y < s.y + s.b
            : (x - s.x) ** 2 + (y - s.y) ** 2 <= s.a * s.a;
        if (inside) data[y * width + x] = s.add ? 1 : 0;
      }
    }
  }
  for (const i of noise) if (data.length) data[i % data.length] = data[i % data.length]! ^ 1;
  return { width, height, data };
}

/**
 * Random masks with several parts and holes: a few added shapes, then subtracted shapes that punch holes,
 * plus a sprinkle of flipped pixels for single-pixel parts, holes and diagonal pinches.
 */
export const arbMask = (maxSide = 40): fc.Arbitrary<Mask> =>
  fc
    .record({ width: fc.integer({ min: 1, max: maxSide }), height: fc.integer({ min: 1, max: maxSide }) })
    .chain(({ width, height }) => {
      const shape = (add: boolean) =>
        fc.record({
          kind: fc.constantFrom<'rect' | 'disc'>('rect', 'disc'),
          x: fc.integer({ min: 0, max: width - 1 }),
          y: fc.integer({ min: 0, max: height - 1 }),
          a: fc.integer({ min: 1, max: Math.max(1, Math.ceil(width / 2)) }),
          b: fc.integer({ min: 1, max: Math.max(1, Math.ceil(height / 2)) }),
          add: fc.constant(add),
        });
      return fc
        .tuple(
          fc.array(shape(true), { minLength: 0, maxLength: 4 }),
          fc.array(shape(false), { minLength: 0, maxLength: 3 }),
          fc.array(fc.nat(), { maxLength: 6 }),
        )
        .map(([adds, subs, noise]) => paint(width, height, [...adds, ...subs], noise));
    });

/** A fixed test mask: a ring (square with a square hole), a separate bar and a diagonal pair. */
export function ringAndParts(): Mask {
  const width = 12;
  const height = 10;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const ring = x >= 1 && x <= 6 && y >= 1 && y <= 6 && !(x >= 3 && x <= 4 && y >= 3 && y <= 4);
      const bar = x >= 8 && x <= 10 && y >= 2 && y <= 3;
      const diag = (x === 8 && y === 6) || (x === 9 && y === 7);
      data[y * width + x] = ring || bar || diag ? 1 : 0;
    }
  }
  return { width, height, data };
}
