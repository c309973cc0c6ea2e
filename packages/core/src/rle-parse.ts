// The RLE counts themselves, below every operation on them: the COCO string codec, validation, the tight box of the
// runs, and the parsed form (a typed array with area and bbox, kept with its RLE object) that the operations share.
import { RleInvalidError } from './errors.js';
import type { Box, Rle } from './types.js';
import { describe } from './validate.js';

/**
 * Compresses RLE counts to the COCO string: LEB128-like, 5 bits per char, chars 48–111,
 * counts after the third stored as differences from the count two places before.
 * @example countsToString([0, 1]) // "01"
 */
export function countsToString(counts: ArrayLike<number>): string {
  let codes = new Uint8Array(Math.max(16, counts.length * 2));
  let n = 0;
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    if (n + 8 > codes.length) {
      const grown = new Uint8Array(codes.length * 2);
      grown.set(codes);
      codes = grown;
    }
    let more = true;
    while (more) {
      let c: number;
      if (x >= -0x40000000 && x < 0x40000000) {
        c = x & 31; // the low five bits; `>>` floors as the division below does
        x >>= 5;
      } else {
        c = ((x % 32) + 32) % 32;
        x = Math.floor(x / 32);
      }
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      codes[n++] = c + 48;
    }
  }
  let s = '';
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode(...codes.subarray(i, Math.min(n, i + 8192)));
  return s;
}

/** Inverse of {@link countsToString}. Throws `E_RLE_INVALID` on characters outside 48–111. */
export function countsFromString(s: string): number[] {
  const out: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new RleInvalidError('RLE counts string ends in the middle of a number');
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new RleInvalidError(`RLE counts string has an invalid character at ${p}`);
      // Up to six characters (30 bits) fit in integer arithmetic; longer numbers fall back to powers of two.
      x += k < 6 ? (c & 0x1f) << (5 * k) : (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= k < 6 ? 1 << (5 * k) : 2 ** (5 * k);
    }
    if (out.length > 2) x += out[out.length - 2]!;
    out.push(x);
  }
  return out;
}

/**
 * Validates an RLE (either form) and returns its counts as numbers.
 * Throws `E_RLE_INVALID` when the size is bad, a count is negative, or counts do not sum to h×w.
 */
export function rleCounts(rle: Rle): number[] {
  if (!rle || typeof rle !== 'object')
    throw new RleInvalidError(`Expected an RLE object but received ${describe(rle)}`);
  const size = (rle as Rle).size;
  checkSize(size);
  let counts: number[];
  if (typeof rle.counts === 'string') counts = countsFromString(rle.counts);
  else if (Array.isArray(rle.counts)) counts = rle.counts;
  else throw new RleInvalidError('RLE counts must be a string or an array of numbers');
  let sum = 0;
  for (const c of counts) {
    if (!Number.isInteger(c) || c < 0)
      throw new RleInvalidError(`RLE counts must be non-negative integers, got ${c}`);
    sum += c;
  }
  const [h, w] = size;
  if (sum !== h * w) throw new RleInvalidError(`RLE counts sum to ${sum} but size ${h}×${w} needs ${h * w}`);
  return counts;
}

/** The tight box of column-major runs of an image `h` pixels tall (pycocotools' `toBbox`). */
export function countsBbox(counts: ArrayLike<number>, h: number): Box {
  let x0 = Infinity;
  let x1 = -1;
  let y0 = Infinity;
  let y1 = -1;
  let pos = 0;
  for (let i = 0; i < counts.length; i++) {
    const len = counts[i]!;
    if (i & 1 && len > 0) {
      const xs = Math.floor(pos / h);
      const ys = pos - xs * h;
      const end = pos + len - 1;
      const xe = Math.floor(end / h);
      const ye = end - xe * h;
      x0 = Math.min(x0, xs);
      x1 = Math.max(x1, xe);
      if (xs === xe) {
        y0 = Math.min(y0, ys);
        y1 = Math.max(y1, ye);
      } else {
        y0 = 0;
        y1 = h - 1;
      }
    }
    pos += len;
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

export function assertSameRleSize(a: { size: Rle['size'] }, b: { size: Rle['size'] }): void {
  if (a.size[0] !== b.size[0] || a.size[1] !== b.size[1]) {
    throw new RleInvalidError(`RLEs differ in size: ${a.size.join('×')} vs ${b.size.join('×')}`);
  }
}

/** An RLE's runs (column-major, starting with zeros), area and tight bbox `[x, y, w, h]`. */
export interface ParsedRle {
  size: [number, number];
  counts: Uint32Array;
  area: number;
  bbox: Box;
}

const parsedOf = new WeakMap<object, { src: unknown; parsed: ParsedRle }>();

// Parsed counts live in shared blocks: a typed array of its own costs more to make than a 200-character string costs
// to decode. Each block holds up to 16,384 counts; a string that cannot fit gets one of its own.
const BLOCK = 16384;
let block = new Uint32Array(BLOCK);
let used = 0;

function checkSize(size: unknown): asserts size is [number, number] {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new RleInvalidError(
      `RLE size must be [height, width] of non-negative integers, got ${describe(size)}`,
    );
  }
}

/**
 * Decodes a compressed string straight into the parsed form in one pass: the counts, their sum (checked against
 * h×w), the area and the tight box, with no intermediate array. Same rules and errors as {@link countsFromString}
 * followed by {@link rleCounts}.
 */
function parseString(s: string, h: number, w: number): ParsedRle {
  const len = s.length; // at least one character per count
  if (used + len > block.length) {
    block = new Uint32Array(Math.max(BLOCK, len));
    used = 0;
  }
  const buf = block;
  const at = used;
  let m = at;
  let p = 0;
  let pos = 0; // pixels before the current run
  let area = 0;
  let x0 = Infinity;
  let x1 = -1;
  let y0 = Infinity;
  let y1 = -1;
  while (p < len) {
    let x = 0;
    let k = 0;
    let c = 0;
    do {
      if (p >= len) throw new RleInvalidError('RLE counts string ends in the middle of a number');
      c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new RleInvalidError(`RLE counts string has an invalid character at ${p}`);
      // Up to six characters (30 bits) fit in integer arithmetic; longer numbers fall back to powers of two.
      x += k < 6 ? (c & 0x1f) << (5 * k) : (c & 0x1f) * 2 ** (5 * k);
      p++;
      k++;
    } while (c & 0x20);
    if (c & 0x10) x -= k < 6 ? 1 << (5 * k) : 2 ** (5 * k);
    if (m - at > 2) x += buf[m - 2]!;
    if (x < 0 || x > 0xffffffff) {
      throw new RleInvalidError(`RLE counts must be non-negative integers, got ${x}`);
    }
    buf[m] = x;
    if ((m - at) & 1 && x > 0) {
      area += x;
      const xs = Math.floor(pos / h);
      const end = pos + x - 1;
      const xe = Math.floor(end / h);
      if (xs < x0) x0 = xs;
      if (xe > x1) x1 = xe;
      if (xs === xe) {
        const ys = pos - xs * h;
        const ye = end - xe * h;
        if (ys < y0) y0 = ys;
        if (ye > y1) y1 = ye;
      } else {
        y0 = 0;
        y1 = h - 1;
      }
    }
    pos += x;
    m++;
  }
  if (pos !== h * w) throw new RleInvalidError(`RLE counts sum to ${pos} but size ${h}×${w} needs ${h * w}`);
  used = m;
  return {
    size: [h, w],
    counts: buf.subarray(at, m),
    area,
    bbox: x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1],
  };
}

/**
 * Parses an RLE (either form) once: later calls with the same object return the same parse (a changed `counts`
 * is noticed). A `ParsedRle` is returned as it is.
 */
export function parseRle(rle: Rle | ParsedRle): ParsedRle {
  if (rle.counts instanceof Uint32Array) return rle as ParsedRle;
  const hit = parsedOf.get(rle);
  if (hit && hit.src === rle.counts) return hit.parsed;
  let parsed: ParsedRle;
  if (rle && typeof rle === 'object' && typeof rle.counts === 'string') {
    checkSize(rle.size);
    parsed = parseString(rle.counts, rle.size[0], rle.size[1]);
  } else {
    const counts = Uint32Array.from(rleCounts(rle as Rle));
    let area = 0;
    for (let i = 1; i < counts.length; i += 2) area += counts[i]!;
    const size = rle.size;
    parsed = { size: [size[0], size[1]], counts, area, bbox: countsBbox(counts, size[0]) };
  }
  parsedOf.set(rle, { src: rle.counts, parsed });
  return parsed;
}
