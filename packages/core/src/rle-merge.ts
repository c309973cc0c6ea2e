// Union and intersection of many RLEs on their runs, as pycocotools' `merge`; the cost follows the runs and never the
// image size. A union sorts every foreground run by its start (a two-pass radix sort) and joins overlapping ones in one
// sweep; an intersection merges pairs in a balanced tree, each merge one walk over two run lists.
import { RleInvalidError } from './errors.js';
import { assertSameRleSize, countsToString, parseRle } from './rle-parse.js';
import type { Rle, RleCompressed } from './types.js';

/** A growable run list that joins a run to the one before when their values agree. */
class Runs {
  buf: Uint32Array;
  n = 0;
  constructor(capacity: number) {
    this.buf = new Uint32Array(Math.max(capacity, 2));
  }
  /** Appends `len` pixels of `value` (0 or 1); runs alternate starting with 0s. */
  add(value: number, len: number): void {
    if (len === 0) return;
    if ((this.n & 1) === value) {
      if (this.n === this.buf.length) {
        const next = new Uint32Array(this.buf.length * 2);
        next.set(this.buf);
        this.buf = next;
      }
      this.buf[this.n++] = len;
    } else if (this.n === 0) {
      this.buf[0] = 0;
      this.buf[1] = len;
      this.n = 2;
    } else this.buf[this.n - 1]! += len;
  }
  done(): Uint32Array {
    if (this.n === 0) this.buf[this.n++] = 0;
    return this.buf.subarray(0, this.n);
  }
}

/** One walk over two run lists: the union or the intersection of their foregrounds. */
function mergeTwo(a: Uint32Array, b: Uint32Array, intersect: boolean): Uint32Array {
  const out = new Runs(a.length + b.length);
  let ca = a[0] ?? 0;
  let cb = b[0] ?? 0;
  let va = 0;
  let vb = 0;
  let ia = 1;
  let ib = 1;
  for (;;) {
    // Skip empty runs, flipping the value each time.
    while (ca === 0 && ia < a.length) {
      ca = a[ia++]!;
      va ^= 1;
    }
    while (cb === 0 && ib < b.length) {
      cb = b[ib++]!;
      vb ^= 1;
    }
    if (ca === 0 || cb === 0) break;
    const c = ca < cb ? ca : cb;
    out.add(intersect ? va & vb : va | vb, c);
    ca -= c;
    cb -= c;
  }
  return out.done();
}

/** The union of many run lists: their foreground runs sorted by start, then joined where they overlap or touch. */
function unionAll(lists: Uint32Array[], total: number): Uint32Array {
  let n = 0;
  for (const c of lists) n += c.length >> 1;
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  let k = 0;
  for (const c of lists) {
    let pos = 0;
    for (let i = 0; i < c.length; i++) {
      const len = c[i]!;
      if (i & 1 && len > 0) {
        starts[k] = pos;
        ends[k++] = pos + len;
      }
      pos += len;
    }
  }
  // Two passes of an LSD radix sort on the start, half of its bits each.
  const half = Math.ceil(Math.max(1, Math.ceil(Math.log2(total + 1))) / 2);
  const digit = (1 << half) - 1;
  const tmp = new Uint32Array(k);
  const order = new Uint32Array(k);
  const bucket = new Uint32Array(digit + 2);
  for (let i = 0; i < k; i++) bucket[(starts[i]! & digit) + 1]!++;
  for (let b = 0; b <= digit; b++) bucket[b + 1]! += bucket[b]!;
  for (let i = 0; i < k; i++) tmp[bucket[starts[i]! & digit]!++] = i;
  bucket.fill(0);
  for (let i = 0; i < k; i++) bucket[(starts[i]! >>> half) + 1]!++;
  for (let b = 0; b <= digit; b++) bucket[b + 1]! += bucket[b]!;
  for (let i = 0; i < k; i++) {
    const idx = tmp[i]!;
    order[bucket[starts[idx]! >>> half]!++] = idx;
  }
  const out = new Runs(2 * k + 1);
  let last = 0; // the end of the foreground written so far
  let open = -1; // the start of the stretch being joined
  let reach = 0; // its end
  for (let i = 0; i < k; i++) {
    const idx = order[i]!;
    const s = starts[idx]!;
    if (open >= 0 && s <= reach) {
      if (ends[idx]! > reach) reach = ends[idx]!;
      continue;
    }
    if (open >= 0) {
      out.add(0, open - last);
      out.add(1, reach - open);
      last = reach;
    }
    open = s;
    reach = ends[idx]!;
  }
  if (open >= 0) {
    out.add(0, open - last);
    out.add(1, reach - open);
    last = reach;
  }
  out.add(0, total - last);
  return out.done();
}

/**
 * Merges RLEs by union (default) or intersection, on the runs, like pycocotools `merge`.
 * Returns the compressed form.
 * @example rleMerge([a, b]).counts // the COCO string of a ∪ b
 */
export function rleMerge(rles: Rle[], opts: { intersect?: boolean } = {}): RleCompressed {
  if (!Array.isArray(rles) || rles.length === 0) throw new RleInvalidError('rleMerge needs at least one RLE');
  let level = rles.map((r, k) => {
    if (k) assertSameRleSize(rles[0]!, r);
    return parseRle(r).counts;
  });
  const intersect = opts.intersect === true;
  const size: [number, number] = [rles[0]!.size[0], rles[0]!.size[1]];
  if (!intersect) return { size, counts: countsToString(unionAll(level, size[0] * size[1])) };
  if (level.length === 1) level = [mergeTwo(level[0]!, level[0]!, intersect)];
  while (level.length > 1) {
    const next: Uint32Array[] = [];
    for (let k = 0; k + 1 < level.length; k += 2) next.push(mergeTwo(level[k]!, level[k + 1]!, intersect));
    if (level.length & 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return { size, counts: countsToString(level[0]!) };
}
