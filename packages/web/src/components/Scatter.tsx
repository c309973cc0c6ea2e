// A 2D canvas scatter for tens of thousands of points: points are drawn in batches by colour, hover finds the nearest
// point, wheel zooms, drag pans, and Shift-drag (or lasso mode) draws a lasso that selects points.
import { useEffect, useMemo, useRef } from 'react';
import { fitView, type Point, panBy, screenToImage, type View, zoomAt } from '../editor/geometry.js';
import { fitCanvasToBox } from '../render/canvas.js';

export interface ScatterPoint {
  x: number;
  y: number;
  cluster: number;
  /** A labelled mask is drawn as a ringed dot, an unlabelled one as a square. */
  label?: string | null;
}

const PALETTE = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#bfef45',
  '#469990',
  '#9a6324',
  '#800000',
  '#000075',
];
export const clusterColour = (c: number) => (c < 0 ? '#9aa0a6' : PALETTE[c % PALETTE.length]!);

/** Whether a point is inside a polygon (even-odd rule). */
export function insidePolygon([x, y]: Point, poly: Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function Scatter({
  points,
  selected,
  lasso,
  onHover,
  onPick,
  onLasso,
  onFirstDraw,
}: {
  points: ScatterPoint[];
  selected: Set<number>;
  lasso: boolean;
  onHover: (index: number | null, at: Point) => void;
  onPick: (index: number) => void;
  onLasso: (indices: number[]) => void;
  onFirstDraw?: (ms: number) => void;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const view = useRef<View>({ scale: 1, tx: 0, ty: 0 });
  /** The view that shows every point; zoom stays between 1/20 and 200 times its scale. */
  const fitted = useRef<View>({ scale: 1, tx: 0, ty: 0 });
  const drag = useRef<{ kind: 'pan' | 'lasso'; last: Point; path: Point[]; moved: boolean } | null>(null);
  const frame = useRef(0);
  const drawn = useRef(false);
  const t0 = useRef(performance.now());

  // Data bounds → a unit frame with y up; the view maps it to the canvas.
  const bounds = useMemo(() => {
    let x0 = Number.POSITIVE_INFINITY;
    let y0 = Number.POSITIVE_INFINITY;
    let x1 = Number.NEGATIVE_INFINITY;
    let y1 = Number.NEGATIVE_INFINITY;
    for (const p of points) {
      x0 = Math.min(x0, p.x);
      y0 = Math.min(y0, p.y);
      x1 = Math.max(x1, p.x);
      y1 = Math.max(y1, p.y);
    }
    const s = Math.max(x1 - x0, y1 - y0) || 1;
    return { x0, y0, s, w: (x1 - x0) / s || 0.01, h: (y1 - y0) / s || 0.01 };
  }, [points]);
  const unit = (p: ScatterPoint): Point => [(p.x - bounds.x0) / bounds.s, 1 - (p.y - bounds.y0) / bounds.s];
  const byCluster = useMemo(() => {
    const groups = new Map<number, number[]>();
    points.forEach((p, i) => {
      const g = groups.get(p.cluster);
      if (g) g.push(i);
      else groups.set(p.cluster, [i]);
    });
    return groups;
  }, [points]);
  const labelledCount = useMemo(() => points.filter((p) => p.label).length, [points]);
  // The centre of each cluster (noise has none), in the unit frame.
  // biome-ignore lint/correctness/useExhaustiveDependencies: unit depends on the bounds of these points
  const centres = useMemo(() => {
    const out: [number, Point][] = [];
    for (const [cluster, idx] of byCluster) {
      if (cluster < 0) continue;
      let sx = 0;
      let sy = 0;
      for (const i of idx) {
        const [ux, uy] = unit(points[i]!);
        sx += ux;
        sy += uy;
      }
      out.push([cluster, [sx / idx.length, sy / idx.length]]);
    }
    return out;
  }, [byCluster, bounds]);

  const draw = () => {
    const c = canvas.current;
    if (!c) return;
    const started = performance.now();
    const ctx = c.getContext('2d')!;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, c.clientWidth, c.clientHeight);
    const v = view.current;
    c.dataset.zoom = (v.scale / fitted.current.scale).toFixed(3); // 1 = fitted; read by the browser tests
    c.dataset.labelled = String(labelledCount);
    const r = points.length > 5000 ? 1.5 : 3;
    for (const [cluster, idx] of byCluster) {
      ctx.fillStyle = clusterColour(cluster);
      ctx.strokeStyle = '#111';
      ctx.lineWidth = 1.5;
      for (const i of idx) {
        const p = points[i]!;
        const [ux, uy] = unit(p);
        const [x, y] = [ux * v.scale + v.tx, uy * v.scale + v.ty];
        if (p.label) {
          // Labelled: a larger round dot with a dark ring, told apart from the squares without colour.
          ctx.beginPath();
          ctx.arc(x, y, r + 1.5, 0, Math.PI * 2);
          ctx.fill();
          ctx.stroke();
        } else ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
      }
    }
    if (selected.size) {
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 1.5;
      for (const i of selected) {
        const [ux, uy] = unit(points[i]!);
        ctx.strokeRect(ux * v.scale + v.tx - r - 1.5, uy * v.scale + v.ty - r - 1.5, 2 * r + 3, 2 * r + 3);
      }
    }
    // Each cluster's number at its centre, haloed: the legend's crops say what the cluster holds, so that a colour is
    // never read as the objects' colour.
    ctx.font = 'bold 13px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.lineWidth = 4;
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#111';
    for (const [cluster, [cx, cy]] of centres) {
      const [x, y] = [cx * v.scale + v.tx, cy * v.scale + v.ty - 16]; // above the cluster's points
      ctx.strokeText(String(cluster), x, y);
      ctx.fillText(String(cluster), x, y);
    }
    const d = drag.current;
    if (d?.kind === 'lasso' && d.path.length > 1) {
      ctx.beginPath();
      ctx.moveTo(...d.path[0]!);
      for (const p of d.path) ctx.lineTo(...p);
      ctx.closePath();
      ctx.setLineDash([5, 4]);
      ctx.strokeStyle = '#111';
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = 'rgba(40,120,255,0.08)';
      ctx.fill();
    }
    // Draw times, for the benchmark of panning with many points.
    const w = globalThis as { segkitScatterDraws?: number[] };
    w.segkitScatterDraws = [...(w.segkitScatterDraws ?? []).slice(-199), performance.now() - started];
    if (!drawn.current && points.length) {
      drawn.current = true;
      onFirstDraw?.(performance.now() - t0.current);
      (globalThis as { segkitScatterFirstDraw?: number }).segkitScatterFirstDraw =
        performance.now() - t0.current;
    }
  };
  const schedule = () => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(draw);
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: refit when the data changes
  useEffect(() => {
    const c = canvas.current!;
    fit();
    return fitCanvasToBox(c, schedule);
  }, [bounds]);
  useEffect(schedule);

  const fit = () => {
    const c = canvas.current!;
    const f = fitView(bounds.w, bounds.h, c.clientWidth, c.clientHeight, 24);
    fitted.current = { ...f, ty: f.ty - (1 - bounds.h) * f.scale };
    view.current = fitted.current;
    schedule();
  };

  // The wheel zooms about the pointer, both ways, and never scrolls the page under the plot (a passive React
  // listener cannot prevent that, so this one is native). F fits every point again.
  // biome-ignore lint/correctness/useExhaustiveDependencies: one listener per canvas; it reads the refs
  useEffect(() => {
    const c = canvas.current!;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = c.getBoundingClientRect();
      const s = fitted.current.scale;
      view.current = zoomAt(
        view.current,
        [e.clientX - r.left, e.clientY - r.top],
        Math.exp(-e.deltaY * 0.0015),
        {
          min: s / 20,
          max: s * 200,
        },
      );
      schedule();
    };
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (
        t instanceof HTMLInputElement ||
        t instanceof HTMLTextAreaElement ||
        e.ctrlKey ||
        e.metaKey ||
        e.altKey
      )
        return;
      if (e.key === 'f' || e.key === 'F') fit();
    };
    c.addEventListener('wheel', onWheel, { passive: false });
    window.addEventListener('keydown', onKey);
    return () => {
      c.removeEventListener('wheel', onWheel);
      window.removeEventListener('keydown', onKey);
    };
  }, []);

  // The nearest point within 8 px: a linear scan (20,000 points take well under a millisecond).
  const nearest = (sx: number, sy: number): number | null => {
    const v = view.current;
    const [ux, uy] = screenToImage(v, [sx, sy]);
    let best = -1;
    let bestD = (8 / v.scale) ** 2;
    for (let i = 0; i < points.length; i++) {
      const [px, py] = unit(points[i]!);
      const d = (px - ux) ** 2 + (py - uy) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best < 0 ? null : best;
  };
  const local = (e: { clientX: number; clientY: number }): Point => {
    const r = canvas.current!.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };

  return (
    <canvas
      ref={canvas}
      className="scatter"
      data-testid="scatter"
      data-points={points.length}
      tabIndex={0}
      aria-label={`Scatter of ${points.length} masks, coloured by cluster. Drag to pan, wheel to zoom, F to fit, Shift-drag to lasso.`}
      onPointerDown={(e) => {
        canvas.current!.setPointerCapture(e.pointerId);
        const p = local(e);
        drag.current = { kind: lasso || e.shiftKey ? 'lasso' : 'pan', last: p, path: [p], moved: false };
      }}
      onPointerMove={(e) => {
        const p = local(e);
        const d = drag.current;
        if (!d) {
          const i = nearest(...p);
          onHover(i, p);
          return;
        }
        if (Math.hypot(p[0] - d.path[0]![0], p[1] - d.path[0]![1]) > 3) d.moved = true;
        if (d.kind === 'pan') {
          view.current = panBy(view.current, p[0] - d.last[0], p[1] - d.last[1]);
          d.last = p;
        } else d.path.push(p);
        schedule();
      }}
      onPointerUp={(e) => {
        const d = drag.current;
        drag.current = null;
        if (!d) return;
        if (!d.moved) {
          const i = nearest(...local(e));
          if (i !== null) onPick(i);
          return schedule();
        }
        if (d.kind === 'lasso' && d.path.length > 2) {
          const v = view.current;
          const hits: number[] = [];
          points.forEach((pt, i) => {
            const [ux, uy] = unit(pt);
            if (insidePolygon([ux * v.scale + v.tx, uy * v.scale + v.ty], d.path)) hits.push(i);
          });
          onLasso(hits);
        }
        schedule();
      }}
      onPointerLeave={() => onHover(null, [0, 0])}
    />
  );
}
