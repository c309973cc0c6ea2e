// The annotator's image stage: a 2D canvas with the image, the masks of the mode, exemplar boxes, the prompt's clicks
// and the hover preview. Wheel zooms, space-drag or middle-drag pans; the active tool decides what a click or drag does.
import { type Contour, type Mask, maskToPolygons, polygonsToMask } from '@segkit/core/mask';
import { type MutableRefObject, useEffect, useReducer, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  type BoxXYWH,
  boxFromDrag,
  clampToImage,
  fitView,
  imageToScreen,
  type Point,
  panBy,
  screenToImage,
  type View,
  zoomAt,
} from '../editor/geometry.js';
import { useEditor, useEditorObject } from '../editor/react.js';
import { fitCanvasToBox } from '../render/canvas.js';
import { drawMaskLayer, maskOfRle, paintMask } from '../render/masks.js';
import { colourOf } from '../util.js';

type Drag =
  | { kind: 'pan'; last: Point }
  | { kind: 'box'; from: Point; to: Point; button: number }
  | { kind: 'vertex'; ring: number; index: number }
  | null;

export function Stage({
  img,
  labels,
  fitRef,
}: {
  img: HTMLImageElement;
  labels: { name: string; colour: string }[];
  /** The page's F key calls this. */
  fitRef: MutableRefObject<() => void>;
}) {
  const E = useEditorObject();
  // What the stage draws, and nothing else: the rail's state does not redraw the canvas.
  const s = useEditor(
    useShallow((st) => ({
      annotations: st.annotations,
      selected: st.selected,
      preview: st.preview,
      tool: st.tool,
      draft: st.draft,
      exemplarPolarity: st.exemplarPolarity,
      crosshair: st.crosshair,
    })),
  );
  const canvas = useRef<HTMLCanvasElement>(null);
  const maskLayer = useRef<HTMLCanvasElement>(null);
  const previewLayer = useRef<HTMLCanvasElement>(null);
  const view = useRef<View>({ scale: 1, tx: 0, ty: 0 });
  const drag = useRef<Drag>(null);
  const space = useRef(false);
  const hoverAt = useRef<Point | null>(null);
  const polygon = useRef<{ key: string; rings: number[][]; contours: Contour[] } | null>(null);
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const W = img.naturalWidth;
  const H = img.naturalHeight;

  const fit = () => {
    const c = canvas.current!;
    view.current = fitView(W, H, c.clientWidth, c.clientHeight);
    redraw();
  };
  fitRef.current = fit;

  // Size the canvas to its box (device pixels), fit the image once per image.
  // biome-ignore lint/correctness/useExhaustiveDependencies: refit only when the image changes
  useEffect(() => {
    const stop = fitCanvasToBox(canvas.current!, redraw);
    fit();
    const key = (e: KeyboardEvent) => {
      // Space held pans; a focused button keeps its own Space.
      if (
        e.code === 'Space' &&
        !(e.target instanceof HTMLInputElement) &&
        !(e.target instanceof HTMLButtonElement)
      ) {
        space.current = e.type === 'keydown';
        if (e.type === 'keydown') e.preventDefault();
      }
    };
    window.addEventListener('keydown', key);
    window.addEventListener('keyup', key);
    return () => {
      stop();
      window.removeEventListener('keydown', key);
      window.removeEventListener('keyup', key);
    };
  }, [img]);

  // The mask layer (image resolution) changes only with the annotations or the selection, the preview layer with the
  // preview: both are repainted in the next frame's drawing.
  const layerDirty = useRef(true);
  const previewDirty = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: these are what the mask layer shows
  useEffect(() => {
    layerDirty.current = true;
    polygon.current = null;
  }, [s.annotations, s.selected, labels, W, H]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the preview layer shows the preview
  useEffect(() => {
    previewDirty.current = true;
  }, [s.preview, W, H]);
  const paintLayers = () => {
    if (layerDirty.current && maskLayer.current) {
      layerDirty.current = false;
      drawMaskLayer(maskLayer.current, W, H, s.annotations, labels, s.selected);
    }
    if (previewDirty.current && previewLayer.current) {
      previewDirty.current = false;
      const p = previewLayer.current;
      p.width = W;
      p.height = H;
      const ctx = p.getContext('2d')!;
      if (!s.preview) return ctx.clearRect(0, 0, W, H);
      const data = ctx.createImageData(W, H);
      paintMask(data.data, s.preview as Mask, [255, 255, 255], { fill: 70, outline: 220, dashed: true });
      ctx.putImageData(data, 0, 0);
    }
  };

  // Polygon vertices of the selected mask, for the edit tool.
  const selectedAnn = s.annotations.find((a) => a.key === s.selected);
  if (s.tool === 'edit' && selectedAnn?.rle && polygon.current?.key !== selectedAnn.key) {
    const contours = maskToPolygons(maskOfRle(selectedAnn.rle), { tolerance: 1.5 });
    polygon.current = { key: selectedAnn.key, rings: contours.map((c) => [...c.points]), contours };
  }

  // One drawing per frame, of the latest state: several state changes in a frame (a click sets the prompt, the mask,
  // the candidates) cost one redraw, in its own task, after React's.
  const frame = useRef(0);
  const drawLatest = useRef<() => void>(() => undefined);
  useEffect(() => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      drawLatest.current();
      E.prompts.markDrawn();
    });
  });
  useEffect(() => () => cancelAnimationFrame(frame.current), []);
  drawLatest.current = () => {
    const c = canvas.current;
    if (!c) return;
    paintLayers();
    const ctx = c.getContext('2d')!;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#1b1d22';
    ctx.fillRect(0, 0, c.width, c.height);
    const v = view.current;
    ctx.imageSmoothingEnabled = v.scale < 2;
    ctx.drawImage(img, v.tx, v.ty, W * v.scale, H * v.scale);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(maskLayer.current!, v.tx, v.ty, W * v.scale, H * v.scale);
    if (s.preview) ctx.drawImage(previewLayer.current!, v.tx, v.ty, W * v.scale, H * v.scale);
    const rect = (b: BoxXYWH, colour: string, dashed: boolean, width = 2) => {
      const [x, y] = imageToScreen(v, [b[0], b[1]]);
      ctx.setLineDash(dashed ? [6, 4] : []);
      ctx.lineWidth = width;
      ctx.strokeStyle = colour;
      ctx.strokeRect(x, y, b[2] * v.scale, b[3] * v.scale);
      ctx.setLineDash([]);
    };
    for (const a of s.annotations) {
      if (a.promptType === 'positive_exemplar') rect(a.bbox, '#2fd16a', false, a.key === s.selected ? 3 : 2);
      else if (a.promptType === 'negative_exemplar')
        rect(a.bbox, '#ff4d4d', true, a.key === s.selected ? 3 : 2);
      else if (!a.rle || a.key === s.selected)
        rect(a.bbox, colourOf(a.label, labels), a.source === 'model', 1.5);
    }
    for (const c2 of s.draft.clicks) {
      const [x, y] = imageToScreen(v, c2.point);
      ctx.beginPath();
      ctx.arc(x, y, 6, 0, Math.PI * 2);
      ctx.fillStyle = c2.label ? '#2fd16a' : '#ff4d4d';
      ctx.fill();
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.beginPath(); // + or − inside: not colour alone
      ctx.moveTo(x - 3, y);
      ctx.lineTo(x + 3, y);
      if (c2.label) {
        ctx.moveTo(x, y - 3);
        ctx.lineTo(x, y + 3);
      }
      ctx.stroke();
    }
    const d = drag.current;
    if (d?.kind === 'box') {
      const b = boxFromDrag(d.from, d.to, W, H);
      const neg = s.tool === 'exemplar' && (d.button === 2 || s.exemplarPolarity === 'negative');
      rect(b, s.tool === 'exemplar' ? (neg ? '#ff4d4d' : '#2fd16a') : '#ffd400', neg);
    }
    if (s.tool === 'edit' && polygon.current) {
      // Handles big enough to grab (10 px squares, outlined), whatever the zoom.
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1.5;
      ctx.fillStyle = '#2b7fff';
      for (const ring of polygon.current.rings)
        for (let i = 0; i < ring.length; i += 2) {
          const [x, y] = imageToScreen(v, [ring[i]!, ring[i + 1]!]);
          ctx.fillRect(x - 5, y - 5, 10, 10);
          ctx.strokeRect(x - 5, y - 5, 10, 10);
        }
    }
    if (s.crosshair) {
      // The keyboard crosshair: a ring and four ticks, dark-outlined so it shows on any photo.
      const [x, y] = imageToScreen(v, [s.crosshair[0] + 0.5, s.crosshair[1] + 0.5]);
      for (const [colour, width] of [
        ['#000', 4],
        ['#ffd400', 2],
      ] as const) {
        ctx.strokeStyle = colour;
        ctx.lineWidth = width;
        ctx.beginPath();
        ctx.arc(x, y, 8, 0, Math.PI * 2);
        for (const [dx, dy] of [
          [1, 0],
          [-1, 0],
          [0, 1],
          [0, -1],
        ]) {
          ctx.moveTo(x + dx! * 10, y + dy! * 10);
          ctx.lineTo(x + dx! * 18, y + dy! * 18);
        }
        ctx.stroke();
      }
    }
  };

  const toImage = (e: { clientX: number; clientY: number }): Point => {
    const r = canvas.current!.getBoundingClientRect();
    return screenToImage(view.current, [e.clientX - r.left, e.clientY - r.top]);
  };
  const inside = ([x, y]: Point) => x >= 0 && y >= 0 && x < W && y < H;
  const hitAnnotation = (p: Point) => {
    const [x, y] = p.map(Math.floor) as Point;
    const hits = s.annotations.filter((a) => {
      if (a.rle) return maskOfRle(a.rle).data[y * W + x] === 1;
      const [bx, by, bw, bh] = a.bbox;
      return x >= bx && y >= by && x <= bx + bw && y <= by + bh;
    });
    return hits.at(-1);
  };

  const onPointerDown = (e: React.PointerEvent) => {
    if (s.crosshair) E.prompts.crosshair('off'); // the mouse takes over from the keyboard crosshair
    canvas.current!.setPointerCapture(e.pointerId);
    canvas.current!.focus();
    const p = toImage(e);
    if (e.button === 1 || space.current) {
      drag.current = { kind: 'pan', last: [e.clientX, e.clientY] };
      return;
    }
    if (s.tool === 'edit' && polygon.current) {
      const tol = 8 / view.current.scale;
      for (const [ri, ring] of polygon.current.rings.entries())
        for (let i = 0; i < ring.length; i += 2)
          if (Math.hypot(ring[i]! - p[0], ring[i + 1]! - p[1]) < tol) {
            drag.current = { kind: 'vertex', ring: ri, index: i };
            return;
          }
    }
    if (s.tool === 'box' || s.tool === 'exemplar') {
      drag.current = {
        kind: 'box',
        from: clampToImage(p, W, H),
        to: clampToImage(p, W, H),
        button: e.button,
      };
    }
  };
  const onPointerMove = (e: React.PointerEvent) => {
    const d = drag.current;
    const p = toImage(e);
    if (d?.kind === 'pan') {
      view.current = panBy(view.current, e.clientX - d.last[0], e.clientY - d.last[1]);
      d.last = [e.clientX, e.clientY];
      redraw();
    } else if (d?.kind === 'box') {
      d.to = clampToImage(p, W, H);
      redraw();
    } else if (d?.kind === 'vertex' && polygon.current) {
      const ring = polygon.current.rings[d.ring]!;
      const [x, y] = clampToImage(p, W, H);
      ring[d.index] = x;
      ring[d.index + 1] = y;
      redraw();
    } else if (s.tool === 'point' && inside(p)) {
      hoverAt.current = p;
      void E.prompts.hover(p);
    }
  };
  const onPointerUp = (e: React.PointerEvent) => {
    const d = drag.current;
    drag.current = null;
    const p = toImage(e);
    if (d?.kind === 'pan') return;
    if (d?.kind === 'vertex' && polygon.current && selectedAnn) {
      const { rings, contours } = polygon.current;
      const mask = polygonsToMask(
        contours.map((c, i) => ({ ...c, points: rings[i]! })),
        W,
        H,
      );
      E.setMask(selectedAnn.key, mask);
      return;
    }
    if (d?.kind === 'box') {
      const b = boxFromDrag(d.from, d.to, W, H);
      if (b[2] < 3 || b[3] < 3) return redraw();
      if (s.tool === 'exemplar')
        E.addExemplar(
          b,
          d.button === 2 || e.altKey || s.exemplarPolarity === 'negative' ? 'negative' : 'positive',
        );
      else void E.prompts.box(b);
      return;
    }
    if (!inside(p)) return;
    if (s.tool === 'point') void E.prompts.click(p, e.button === 2 || e.altKey ? 0 : 1);
    else if (s.tool === 'point-to-box') void E.assists.pointToBox(p);
    else if (s.tool === 'edit') E.set({ selected: hitAnnotation(p)?.key ?? null });
  };
  const onWheel = (e: React.WheelEvent) => {
    const r = canvas.current!.getBoundingClientRect();
    view.current = zoomAt(
      view.current,
      [e.clientX - r.left, e.clientY - r.top],
      Math.exp(-e.deltaY * 0.0015),
    );
    redraw();
  };

  return (
    <div className="stage">
      <canvas
        ref={canvas}
        className={`stage-canvas tool-${s.tool}`}
        data-testid="stage"
        tabIndex={0}
        aria-label={`Image ${img.alt}: ${s.tool} tool. Left click adds a positive point, right click or Alt-click a negative one. From the keyboard: K shows a crosshair, arrows move it, Enter or Shift+Enter place a point.`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerLeave={() => {
          hoverAt.current = null;
          void E.prompts.hover(null);
        }}
        onWheel={onWheel}
        onContextMenu={(e) => e.preventDefault()}
      />
      <canvas ref={maskLayer} data-testid="mask-layer" hidden />
      <canvas ref={previewLayer} hidden />
      <button type="button" className="fit" onClick={fit} title="Fit to screen (F)">
        Fit
      </button>
    </div>
  );
}
