import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  area,
  bbox,
  compressRle,
  countsFromString,
  countsToString,
  cropMask,
  decompressRle,
  intersection,
  iou,
  maskFromFunction,
  masksEqual,
  maskToPolygons,
  maskToRle,
  polygonsToMask,
  polygonsToRle,
  polygonToRle,
  rleArea,
  rleBbox,
  rleIou,
  rleMerge,
  rleToCroppedMask,
  rleToMask,
  union,
} from '../src/index.js';
import { arbMask, ringAndParts } from './helpers/arbitraries.js';

const runs = { numRuns: 300 };

describe('RLE properties', () => {
  it('encode then decode gives the mask back exactly (holes and parts included)', () => {
    fc.assert(
      fc.property(arbMask(), (m) => {
        expect(masksEqual(rleToMask(maskToRle(m)), m)).toBe(true);
        expect(masksEqual(rleToMask(maskToRle(m, { compressed: false })), m)).toBe(true);
      }),
      runs,
    );
  });

  it('compressed and uncompressed forms agree both ways', () => {
    fc.assert(
      fc.property(arbMask(), (m) => {
        const u = maskToRle(m, { compressed: false });
        const s = maskToRle(m);
        expect(countsToString(u.counts)).toBe(s.counts);
        expect(countsFromString(s.counts)).toEqual(u.counts);
        expect(compressRle(u)).toEqual(s);
        expect(decompressRle(s)).toEqual(u);
      }),
      runs,
    );
  });

  it('area, bbox and IoU computed on RLEs equal those computed on bitmaps', () => {
    fc.assert(
      fc.property(
        arbMask(30).chain((a) =>
          arbMask(30).map((b) => [a, { width: a.width, height: a.height, data: resizeData(b, a) }] as const),
        ),
        ([a, b]) => {
          const ra = maskToRle(a);
          const rb = maskToRle(b, { compressed: false });
          expect(rleArea(ra)).toBe(area(a));
          expect(rleBbox(ra)).toEqual(bbox(a));
          expect(rleIou(ra, rb)).toBeCloseTo(iou(a, b), 12);
          expect(masksEqual(rleToMask(rleMerge([ra, rb])), union(a, b))).toBe(true);
          expect(masksEqual(rleToMask(rleMerge([ra, rb], { intersect: true })), intersection(a, b))).toBe(
            true,
          );
        },
      ),
      runs,
    );
  });

  it('decoding just the bounding box equals cropping the full decode', () => {
    fc.assert(
      fc.property(arbMask(), (m) => {
        const rle = maskToRle(m);
        const { mask, box } = rleToCroppedMask(rle);
        expect(box).toEqual(bbox(m));
        if (box[2] > 0) expect(masksEqual(mask, cropMask(m, box))).toBe(true);
        else expect(mask.data.length).toBe(0);
      }),
      runs,
    );
  });

  it('signed counts survive the string codec, including large and negative deltas', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50_000_000 }), { maxLength: 30 }), (counts) => {
        expect(countsFromString(countsToString(counts))).toEqual(counts);
      }),
    );
  });
});

/** Tiles b's pixels over a's size so the pair always matches in size. */
function resizeData(
  b: { width: number; height: number; data: Uint8Array },
  a: { width: number; height: number },
) {
  return maskFromFunction(a.width, a.height, (x, y) => b.data[(y % b.height) * b.width + (x % b.width)] === 1)
    .data;
}

describe('RLE golden strings', () => {
  // Worked by hand from the pycocotools algorithm (rleToString in maskApi.c):
  // 5 bits per char, char = value + 48, bit 5 = "more", counts after the third are deltas from counts[i-2].
  it.each([
    [[9], '9'], // one run of 9 zeros
    [[0, 9], '09'], // all ones
    [[3, 2, 4], '324'],
    [[1, 1, 1, 1, 1], '11100'], // deltas 0, 0 from the 4th count on
    [[5, 10, 3, 2], '5:3H'], // 10 → ':', delta 2 − 10 = −8 → 24 + 48 = 'H'
    [[100], 'T3'], // 100 = 4 + 3·32: 4|0x20 → 'T', then '3'
    [[16], '`0'], // 16 has the sign bit set, so a second (zero) char follows
  ])('counts %j encode to %s', (counts, str) => {
    expect(countsToString(counts)).toBe(str);
    expect(countsFromString(str)).toEqual(counts);
  });

  it('encodes a small mask column-major, starting with zeros', () => {
    // 3×2 (w=3, h=2):  row0 = 0 1 1, row1 = 0 1 0 → columns: [0,0] [1,1] [1,0] → runs 2 zeros, 3 ones, 1 zero.
    const m = { width: 3, height: 2, data: Uint8Array.of(0, 1, 1, 0, 1, 0) };
    expect(maskToRle(m, { compressed: false })).toEqual({ size: [2, 3], counts: [2, 3, 1] });
    expect(maskToRle(m)).toEqual({ size: [2, 3], counts: '231' });
  });

  it('re-encodes a string printed by pycocotools byte for byte', () => {
    // A 50×70 mask as printed by pycocotools `encode` (quoted in a public README about COCO RLE decoding).
    const s =
      '0g05b08J4M2N2NA^O1`0OCO=0E090H080IO68DH;>@C>a0_O_O`0j0OWOF<:CM72I24NL43JM92FN;1ENKO72L0LO91J0MO92INO0NO122OO0M031O000NO31OO11MO40N011MO41MO21L06OL021L06OL021L06OL021L060J040L060J040L060J040L060J040L060J040L060J040L060KO31L060KO31L06OL021L06OL021L06OL021MO41MO21MO40N100NO310O00M0310O00NO1220NO92IONO91KOMO72M0<1EO:2GN63KM34OLM73JF<;=1G_O_Ob0=AC`07EH=1IO71H090F0:1DO>1_O1b0>2N2N3L6H]O';
    const mask = rleToMask({ size: [50, 70], counts: s });
    expect(mask.width).toBe(70);
    expect(maskToRle(mask).counts).toBe(s);
    expect(rleArea({ size: [50, 70], counts: s })).toBe(area(mask));
  });
});

describe('polygon rasterisation with pycocotools frPyObjects semantics', () => {
  it('fills the integer square [0,10]² as exactly pixels 0..9 (hand-worked)', () => {
    // Columns 0..9 each hold 10 ones on top of 10 zeros; the remaining 10 columns are zeros.
    const expected = [0, 10, ...Array.from({ length: 18 }, () => 10), 210];
    expect(decompressRle(polygonToRle([0, 0, 10, 0, 10, 10, 0, 10], 20, 20)).counts).toEqual(expected);
  });

  it('agrees exactly with our own filler on every outer contour of random masks', () => {
    fc.assert(
      fc.property(arbMask(30), (m) => {
        for (const ring of maskToPolygons(m)) {
          if (ring.type !== 'outer') continue;
          const coco = rleToMask(polygonToRle(ring.points, m.height, m.width));
          expect(masksEqual(coco, polygonsToMask([ring.points], m.width, m.height))).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('merges the parts of a multi-polygon object', () => {
    const rle = polygonsToRle(
      [
        [0, 0, 2, 0, 2, 2, 0, 2],
        [4, 4, 6, 4, 6, 6, 4, 6],
      ],
      8,
      8,
    );
    expect(rleArea(rle)).toBe(8);
    expect(rleBbox(rle)).toEqual([0, 0, 6, 6]);
  });
});

describe('RLE errors', () => {
  it('rejects counts that do not sum to h×w', () => {
    expect(() => rleToMask({ size: [2, 2], counts: [1, 2] })).toThrow(
      expect.objectContaining({ code: 'E_RLE_INVALID', message: expect.stringContaining('sum to 3') }),
    );
  });
  it('rejects a bad size, negative counts and bad characters', () => {
    expect(() => rleToMask({ size: [2] as never, counts: [4] })).toThrow(
      expect.objectContaining({ code: 'E_RLE_INVALID' }),
    );
    expect(() => rleToMask({ size: [2, 2], counts: [5, -1] })).toThrow(
      expect.objectContaining({ code: 'E_RLE_INVALID' }),
    );
    expect(() => rleToMask({ size: [2, 2], counts: '4~' })).toThrow(
      expect.objectContaining({ code: 'E_RLE_INVALID' }),
    );
    expect(() => rleToMask({ size: [2, 2], counts: 'T' })).toThrow(
      expect.objectContaining({ code: 'E_RLE_INVALID' }),
    );
  });
  it('rejects merging RLEs of different sizes', () => {
    const a = maskToRle(ringAndParts());
    expect(() => rleMerge([a, { size: [1, 1], counts: [1] }])).toThrow(
      expect.objectContaining({ code: 'E_RLE_INVALID' }),
    );
  });
  it('rejects polygons with fewer than 3 points', () => {
    expect(() => polygonToRle([0, 0, 5, 5], 10, 10)).toThrow(
      expect.objectContaining({ code: 'E_POLYGON_INVALID', message: expect.stringContaining('at least 3') }),
    );
  });
});

/** The plain definition: walk the pixels column by column and count runs, starting with zeros. */
function columnWalkCounts(m: { width: number; height: number; data: Uint8Array }): number[] {
  const out: number[] = [];
  let prev = 0;
  let len = 0;
  for (let x = 0; x < m.width; x++) {
    for (let y = 0; y < m.height; y++) {
      const v = m.data[y * m.width + x] ? 1 : 0;
      if (v !== prev) {
        out.push(len);
        len = 0;
        prev = v;
      }
      len++;
    }
  }
  out.push(len);
  return out;
}

describe('the row-wise codec equals the column walk', () => {
  it('on any width (word-aligned rows or not), any non-zero pixel value, and a view into a larger buffer', () => {
    fc.assert(
      fc.property(
        arbMask(48),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom(1, 7, 255),
        (m, offset, on) => {
          const backing = new Uint8Array(m.data.length + offset);
          backing.set(
            m.data.map((v) => (v ? on : 0)),
            offset,
          );
          const view = { width: m.width, height: m.height, data: backing.subarray(offset) };
          const expected = columnWalkCounts(m);
          expect(maskToRle(view, { compressed: false }).counts).toEqual(expected);
          expect(masksEqual(rleToMask({ size: [m.height, m.width], counts: expected }), m)).toBe(true);
        },
      ),
      runs,
    );
  });

  it('decodes uncompressed counts with empty runs inside them as the runs they spell', () => {
    // 2 zeros, 0 ones, 3 zeros, 1 one, 0 zeros, 2 ones on a 4×2 image (h = 2): column-major 0 0 0 0 0 1 1 1, so rows 0 0 0 1 and 0 0 1 1.
    const m = rleToMask({ size: [2, 4], counts: [2, 0, 3, 1, 0, 2] });
    expect(Array.from(m.data)).toEqual([0, 0, 0, 1, 0, 0, 1, 1]);
  });
});
