// Mask ⇄ COCO RLE without walking the row-major bitmap column by column. COCO runs are column-major, so a naive
// encoder reads the image with a stride of one row and misses the cache on every pixel. Here both directions work
// row by row: a pixel starts a run where it differs from the pixel above it (or, at the top of a column, from the
// bottom of the previous column), so encoding compares each row with the one above (four pixels at a time where the
// layout allows) and sorts the few transitions into column order; decoding marks the transitions and XORs each row
// into the next.
import { countsBbox, countsToString, rleCounts } from './rle-parse.js';
import type { Mask, Rle, RleCompressed, RleUncompressed } from './types.js';
import { assertMask } from './validate.js';

/** A growable list of transitions as row-major pixel indices. */
class Marks {
  buf = new Uint32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Uint32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }
}

/** Marks the pixels in [from, to) that differ from the pixel above. */
function scanBytes(data: Uint8Array, from: number, to: number, w: number, marks: Marks): void {
  for (let i = from; i < to; i++) if (!data[i] !== !data[i - w]) marks.push(i);
}

/** Row-major indices where a pixel differs from the one before it in column-major order, grouped by row. */
function transitions(data: Uint8Array, w: number, h: number): Marks {
  const marks = new Marks();
  // Row 0: each column's first pixel against the last pixel of the column before (the image starts with a 0).
  let prev = 0;
  const last = (h - 1) * w;
  for (let x = 0; x < w; x++) {
    const v = data[x]! ? 1 : 0;
    if (v !== prev) marks.push(x);
    prev = data[last + x]! ? 1 : 0;
  }
  const words = w % 4 === 0 && data.byteOffset % 4 === 0;
  const u32 = words ? new Uint32Array(data.buffer, data.byteOffset, (w * h) >> 2) : undefined;
  const wq = w >> 2;
  for (let y = 1; y < h; y++) {
    const row = y * w;
    if (u32) {
      // Equal words hold equal pixels: only a word that differs from the one above needs a look at its bytes.
      // Eight words at a time: a block with no difference anywhere (most of them) costs one test.
      let k = 0;
      for (let a = y * wq, b = a - wq; k + 8 <= wq; k += 8, a += 8, b += 8) {
        const d =
          (u32[a]! ^ u32[b]!) |
          (u32[a + 1]! ^ u32[b + 1]!) |
          (u32[a + 2]! ^ u32[b + 2]!) |
          (u32[a + 3]! ^ u32[b + 3]!) |
          (u32[a + 4]! ^ u32[b + 4]!) |
          (u32[a + 5]! ^ u32[b + 5]!) |
          (u32[a + 6]! ^ u32[b + 6]!) |
          (u32[a + 7]! ^ u32[b + 7]!);
        if (d === 0) continue;
        for (let j = 0; j < 8; j++) {
          if (u32[a + j] !== u32[b + j]) scanBytes(data, row + 4 * (k + j), row + 4 * (k + j) + 4, w, marks);
        }
      }
      if (k < wq) scanBytes(data, row + 4 * k, row + w, w, marks);
    } else scanBytes(data, row, row + w, w, marks);
  }
  return marks;
}

/**
 * Encodes a mask as COCO RLE (column-major, first run counts 0s), exactly like pycocotools `encode`.
 * @example maskToRle(mask) // { size: [h, w], counts: "…" }; maskToRle(mask, { compressed: false }).counts // [3, 2, 4]
 */
export function maskToRle(mask: Mask, opts: { compressed: false }): RleUncompressed;
export function maskToRle(mask: Mask, opts?: { compressed?: true }): RleCompressed;
export function maskToRle(mask: Mask, opts: { compressed?: boolean } = {}): Rle {
  assertMask(mask);
  const { width: w, height: h, data } = mask;
  const total = w * h;
  const counts: number[] = [];
  if (total > 0) {
    const marks = transitions(data, w, h);
    // A counting sort by column puts the transitions in column-major order; within a column they are already sorted
    // by row, since rows were scanned top to bottom.
    const start = new Uint32Array(w + 1);
    const { buf, n } = marks;
    for (let k = 0; k < n; k++) start[(buf[k]! % w) + 1]!++;
    for (let x = 0; x < w; x++) start[x + 1]! += start[x]!;
    const pos = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const i = buf[k]!;
      const y = Math.floor(i / w);
      const x = i - y * w;
      pos[start[x]!++] = x * h + y;
    }
    let at = 0;
    for (let k = 0; k < n; k++) {
      counts.push(pos[k]! - at);
      at = pos[k]!;
    }
    counts.push(total - at);
  } else counts.push(0);
  const size: [number, number] = [h, w];
  return opts.compressed === false ? { size, counts } : { size, counts: countsToString(counts) };
}

/** Decodes an RLE (either form) to a mask. @example rleToMask({ size: [2, 2], counts: [1, 2, 1] }).data // [0, 1, 1, 0] */
export function rleToMask(rle: Rle): Mask {
  const counts = rleCounts(rle);
  const [h, w] = rle.size;
  const data = new Uint8Array(w * h);
  if (w * h === 0) return { width: w, height: h, data };
  // Row 0 holds each column's first value; below it a 1 marks a pixel that differs from the pixel above.
  let pos = 0;
  let col = 0; // the next column whose first value is not yet written
  let before = 0; // the value of the last non-empty run
  for (let r = 0; r < counts.length; r++) {
    const len = counts[r]!;
    if (len === 0) continue;
    const value = r & 1;
    const end = pos + len;
    // Columns that start inside this run start with its value.
    const lastCol = Math.ceil(end / h); // columns [col, lastCol) start before `end`
    if (value) for (let x = col; x < lastCol; x++) data[x] = 1;
    col = Math.max(col, lastCol);
    // Below the top of a column, a run of the other value starts with a pixel that differs from the one above it.
    const x = Math.floor(pos / h);
    const y = pos - x * h;
    if (y > 0 && value !== before) data[y * w + x] = 1;
    before = value;
    pos = end;
  }
  // Outside the mask's box every pixel is 0 and nothing is marked except the row just below the box, where runs of
  // ones end; so the XOR pass covers the box and that row.
  const [bx, by, bw, bh] = countsBbox(counts, h);
  const stop = Math.min(by + bh + 1, h);
  if (w % 4 === 0) {
    const u32 = new Uint32Array(data.buffer, 0, (w * h) >> 2);
    const wq = w >> 2;
    const q0 = bx >> 2;
    const q1 = (bx + bw + 3) >> 2;
    for (let y = Math.max(by, 1); y < stop; y++) {
      for (let a = y * wq + q0, end = y * wq + q1; a < end; a++) {
        const up = u32[a - wq]!;
        if (up !== 0) u32[a]! ^= up;
      }
    }
  } else {
    for (let y = Math.max(by, 1); y < stop; y++) {
      for (let i = y * w + bx, end = i + bw; i < end; i++) data[i]! ^= data[i - w]!;
    }
  }
  return { width: w, height: h, data };
}
