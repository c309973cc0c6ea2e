import { describe, expect, it } from 'vitest';
import {
  boxFromDrag,
  fitView,
  imageToModel,
  imageToScreen,
  modelToImage,
  panBy,
  screenToImage,
  zoomAt,
} from '../src/editor/geometry.js';

describe('annotator coordinate frames', () => {
  it('screen → image → screen is the identity under any view', () => {
    for (const v of [
      { scale: 1, tx: 0, ty: 0 },
      { scale: 2.5, tx: -40, ty: 17 },
      { scale: 0.3, tx: 100, ty: -8 },
    ]) {
      const [x, y] = imageToScreen(v, screenToImage(v, [123, 45]));
      expect(x).toBeCloseTo(123, 9);
      expect(y).toBeCloseTo(45, 9);
    }
  });

  it('fitting centres the image with a margin and keeps its aspect', () => {
    const v = fitView(240, 180, 800, 600, 16);
    expect(v.scale).toBeCloseTo((600 - 32) / 180, 9);
    const [x0, y0] = imageToScreen(v, [0, 0]);
    const [x1, y1] = imageToScreen(v, [240, 180]);
    expect((x0 + x1) / 2).toBeCloseTo(400, 9);
    expect((y0 + y1) / 2).toBeCloseTo(300, 9);
    expect(y0).toBeCloseTo(16, 9);
  });

  it('zooming keeps the image pixel under the pointer where it was; panning moves by screen pixels', () => {
    const v = { scale: 1.5, tx: 20, ty: 30 };
    const under = screenToImage(v, [300, 200]);
    const z = zoomAt(v, [300, 200], 2);
    expect(z.scale).toBe(3);
    const [x, y] = imageToScreen(z, under);
    expect(x).toBeCloseTo(300, 9);
    expect(y).toBeCloseTo(200, 9);
    expect(zoomAt(v, [0, 0], 1e9).scale).toBe(64);
    // A view of unit coordinates (the scatter, fitted at ~700 px per unit) zooms within its own limits, both ways.
    const unit = { scale: 700, tx: 0, ty: 0 };
    expect(zoomAt(unit, [0, 0], 1.2, { min: 35, max: 140_000 }).scale).toBeCloseTo(840, 9);
    expect(zoomAt(unit, [0, 0], 0.8, { min: 35, max: 140_000 }).scale).toBeCloseTo(560, 9);
    expect(zoomAt(unit, [0, 0], 1e-9, { min: 35, max: 140_000 }).scale).toBe(35);
    expect(panBy(v, 5, -7)).toEqual({ scale: 1.5, tx: 25, ty: 23 });
  });

  it('a drag in any direction gives the same box, clipped to the image', () => {
    expect(boxFromDrag([50, 40], [10, 20], 240, 180)).toEqual([10, 20, 40, 20]);
    expect(boxFromDrag([10, 20], [50, 40], 240, 180)).toEqual([10, 20, 40, 20]);
    const [x, y, w, h] = boxFromDrag([-30, -5], [500, 90], 240, 180);
    expect([x, y]).toEqual([0, 0]);
    expect(w).toBeCloseTo(240, 5);
    expect(h).toBe(90);
  });

  it('image pixels map to the model frame by reshaped/original per axis, and back', () => {
    // A 240×180 image resized to 1024×768 (SAM's longest side 1024).
    const m = imageToModel([120, 90], [180, 240], [768, 1024]);
    expect(m[0]).toBeCloseTo(512, 9);
    expect(m[1]).toBeCloseTo(384, 9);
    const back = modelToImage(m, [180, 240], [768, 1024]);
    expect(back[0]).toBeCloseTo(120, 9);
    expect(back[1]).toBeCloseTo(90, 9);
  });
});
