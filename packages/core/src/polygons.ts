import { labelComponents } from './components.js';
import { PolygonInvalidError } from './errors.js';
import { assertPolygon } from './rle.js';
import type { Contour, FlatPolygon, Mask } from './types.js';
import { assertInteger, assertMask, assertNumber } from './validate.js';

// Directions on the pixel-corner grid (y grows downwards): 0 east, 1 south, 2 west, 3 north.
const DX = [1, 0, -1, 0] as const;
const DY = [0, 1, 0, -1] as const;

/**
 * Extracts the contours of a mask: for every 8-connected component its outer ring, and a ring for every hole.
 *
 * Vertices lie on pixel corners (pixel (x, y) covers [x, x+1)×[y, y+1)), so the rings trace the exact pixel
 * boundary and `polygonsToMask` gives the mask back exactly. Only corner vertices are kept; with
 * `tolerance > 0` each ring is simplified with Douglas–Peucker (rings that collapse below 3 points are dropped).
 *
 * @example maskToPolygons(squareWithHole) // [{ type: 'outer', component: 0, points: [...] }, { type: 'hole', ... }]
 */
export function maskToPolygons(mask: Mask, opts: { tolerance?: number } = {}): Contour[] {
  assertMask(mask);
  const tolerance = assertNumber(opts.tolerance ?? 0, 'tolerance', 0);
  const { width: W, height: H, data } = mask;
  const { labels } = labelComponents(mask);
  const fg = (x: number, y: number): number => (x >= 0 && y >= 0 && x < W && y < H ? data[y * W + x]! : 0);
  // Horizontal boundary edges already traced; edge (x, y) runs along the top of pixel row y.
  const seen = new Uint8Array(W * (H + 1));
  const out: Contour[] = [];

  for (let y = 0; y <= H; y++) {
    for (let x = 0; x < W; x++) {
      const below = y < H ? data[y * W + x]! : 0;
      const above = y > 0 ? data[(y - 1) * W + x]! : 0;
      if (below === above || seen[y * W + x]) continue;
      // Foreground is kept on the left: an edge with foreground above runs east, below runs west.
      const startDir = above ? 0 : 2;
      const sx = above ? x : x + 1;
      const pts: number[] = [];
      let vx = sx;
      let vy = y;
      let dir = startDir;
      let signedArea2 = 0;
      for (;;) {
        if (dir === 0) seen[vy * W + vx] = 1;
        else if (dir === 2) seen[vy * W + vx - 1] = 1;
        const nx = vx + DX[dir]!;
        const ny = vy + DY[dir]!;
        signedArea2 += vx * ny - nx * vy;
        vx = nx;
        vy = ny;
        const next = nextDirection(fg, vx, vy, dir);
        if (next !== dir) pts.push(vx, vy);
        dir = next;
        if (vx === sx && vy === y && dir === startDir) break;
      }
      // With foreground on the left and y pointing down, outer rings have negative signed area, holes positive.
      const type = signedArea2 < 0 ? 'outer' : 'hole';
      const component = labels[(above ? y - 1 : y) * W + x]! - 1;
      const points = tolerance > 0 ? simplifyRing(pts, tolerance) : pts;
      if (points.length >= 6) out.push({ type, component, points });
    }
  }
  return out;
}

/** Chooses the outgoing direction at corner (vx, vy); at a diagonal pinch it turns right, joining 8-neighbours. */
function nextDirection(fg: (x: number, y: number) => number, vx: number, vy: number, inDir: number): number {
  const tl = fg(vx - 1, vy - 1);
  const tr = fg(vx, vy - 1);
  const bl = fg(vx - 1, vy);
  const br = fg(vx, vy);
  const ok = [tr && !br, br && !bl, bl && !tl, tl && !tr];
  const right = (inDir + 1) & 3;
  if (ok[right]) return right;
  if (ok[inDir]) return inDir;
  return (inDir + 3) & 3;
}

/**
 * Douglas–Peucker simplification of a closed ring given as a flat list. Keeps the two points farthest apart
 * as anchors so the ring cannot collapse to a line for a round shape.
 */
export function simplifyRing(ring: FlatPolygon, tolerance: number): FlatPolygon {
  const n = ring.length / 2;
  if (n <= 3 || tolerance <= 0) return ring.slice();
  // Anchor at point 0 and the point farthest from it.
  let far = 0;
  let best = -1;
  for (let i = 1; i < n; i++) {
    const d = (ring[2 * i]! - ring[0]!) ** 2 + (ring[2 * i + 1]! - ring[1]!) ** 2;
    if (d > best) {
      best = d;
      far = i;
    }
  }
  const keep = new Uint8Array(n + 1);
  keep[0] = 1;
  keep[far] = 1;
  keep[n] = 1;
  const px = (i: number) => ring[2 * (i % n)]!;
  const py = (i: number) => ring[2 * (i % n) + 1]!;
  const stack: [number, number][] = [
    [0, far],
    [far, n],
  ];
  const tol2 = tolerance * tolerance;
  while (stack.length) {
    const [a, b] = stack.pop()!;
    const ax = px(a);
    const ay = py(a);
    const bx = px(b);
    const by = py(b);
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    let maxD = -1;
    let idx = -1;
    for (let i = a + 1; i < b; i++) {
      const ex = px(i) - ax;
      const ey = py(i) - ay;
      let d2: number;
      if (len2 === 0) d2 = ex * ex + ey * ey;
      else {
        const cross = ex * dy - ey * dx;
        d2 = (cross * cross) / len2;
      }
      if (d2 > maxD) {
        maxD = d2;
        idx = i;
      }
    }
    if (idx >= 0 && maxD > tol2) {
      keep[idx] = 1;
      stack.push([a, idx], [idx, b]);
    }
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(ring[2 * i]!, ring[2 * i + 1]!);
  return out;
}

/**
 * Fills polygon rings into a mask with the even-odd rule, sampling at pixel centres.
 * Rings from {@link maskToPolygons} (outer rings and holes together) reproduce the mask exactly.
 */
export function fillRingsEvenOdd(
  rings: FlatPolygon[],
  width: number,
  height: number,
  into?: Uint8Array,
): Uint8Array {
  const data = into ?? new Uint8Array(width * height);
  // Edge table: for each non-horizontal edge, the rows whose centre line it crosses.
  const xs: number[][] = Array.from({ length: height }, () => []);
  for (const ring of rings) {
    const n = ring.length / 2;
    for (let i = 0; i < n; i++) {
      const x0 = ring[2 * i]!;
      const y0 = ring[2 * i + 1]!;
      const j = (i + 1) % n;
      const x1 = ring[2 * j]!;
      const y1 = ring[2 * j + 1]!;
      if (y0 === y1) continue;
      const [ya, yb, xa, xb] = y0 < y1 ? [y0, y1, x0, x1] : [y1, y0, x1, x0];
      // Rows r whose centre r + 0.5 lies in [ya, yb).
      const rStart = Math.max(0, Math.ceil(ya - 0.5));
      const rEnd = Math.min(height - 1, Math.ceil(yb - 0.5) - 1);
      const slope = (xb - xa) / (yb - ya);
      for (let r = rStart; r <= rEnd; r++) xs[r]!.push(xa + (r + 0.5 - ya) * slope);
    }
  }
  for (let r = 0; r < height; r++) {
    const row = xs[r]!;
    if (row.length < 2) continue;
    row.sort((a, b) => a - b);
    for (let k = 0; k + 1 < row.length; k += 2) {
      // Pixels whose centre c + 0.5 lies in [row[k], row[k+1]).
      const c0 = Math.max(0, Math.ceil(row[k]! - 0.5));
      const c1 = Math.min(width - 1, Math.ceil(row[k + 1]! - 0.5) - 1);
      const base = r * width;
      for (let c = c0; c <= c1; c++) data[base + c] = 1;
    }
  }
  return data;
}

/**
 * Rasterises polygons into a mask.
 * - Tagged contours (from {@link maskToPolygons}) are filled together with the even-odd rule, so holes subtract
 *   and islands inside holes come back: `polygonsToMask(maskToPolygons(m), w, h)` equals `m` exactly.
 * - Plain flat rings are filled one by one and unioned, as COCO does for multi-part objects.
 *
 * @example polygonsToMask([[0, 0, 2, 0, 2, 2, 0, 2]], 4, 4) // the 2×2 square at the top-left
 */
export function polygonsToMask(polygons: Contour[] | FlatPolygon[], width: number, height: number): Mask {
  assertInteger(width, 'width');
  assertInteger(height, 'height');
  if (!Array.isArray(polygons)) throw new PolygonInvalidError('Expected an array of polygons');
  const data = new Uint8Array(width * height);
  const tagged = polygons.filter((p): p is Contour => !Array.isArray(p));
  const plain = polygons.filter((p): p is FlatPolygon => Array.isArray(p));
  polygons.forEach((p, i) => {
    assertPolygon(Array.isArray(p) ? p : p?.points, `polygon ${i}`);
  });
  if (tagged.length)
    fillRingsEvenOdd(
      tagged.map((c) => c.points),
      width,
      height,
      data,
    );
  for (const ring of plain) fillRingsEvenOdd([ring], width, height, data);
  return { width, height, data };
}
