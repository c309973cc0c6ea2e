import { type Mask, maskFromFunction, type RawImage } from '@segkit/core';

export interface Shape {
  name: string;
  box: [number, number, number, number]; // x, y, w, h
  colour: [number, number, number];
  kind?: 'rect' | 'disc';
}

/** A synthetic photo: uniformly coloured shapes on a light background, with each shape's true mask. */
export function shapesImage(
  width: number,
  height: number,
  shapes: Shape[],
): { image: RawImage; truth: Record<string, Mask> } {
  const inside = (s: Shape, x: number, y: number) => {
    const [bx, by, bw, bh] = s.box;
    if (s.kind === 'disc')
      return ((x + 0.5 - bx - bw / 2) / (bw / 2)) ** 2 + ((y + 0.5 - by - bh / 2) / (bh / 2)) ** 2 <= 1;
    return x >= bx && x < bx + bw && y >= by && y < by + bh;
  };
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let c: [number, number, number] = [235, 235, 230];
      for (const s of shapes) if (inside(s, x, y)) c = s.colour;
      data.set(c, (y * width + x) * 3);
    }
  }
  const truth: Record<string, Mask> = {};
  for (const s of shapes) truth[s.name] = maskFromFunction(width, height, (x, y) => inside(s, x, y));
  return { image: { width, height, channels: 3, data }, truth };
}

export const RED: [number, number, number] = [210, 40, 40];
export const BLUE: [number, number, number] = [40, 60, 200];
export const GREEN: [number, number, number] = [40, 170, 70];

/** Two red rectangles and a blue disc on a 400×300 canvas. */
export const scene = () =>
  shapesImage(400, 300, [
    { name: 'redA', box: [40, 50, 100, 90], colour: RED },
    { name: 'redB', box: [240, 170, 110, 80], colour: RED },
    { name: 'blue', box: [250, 30, 100, 100], colour: BLUE, kind: 'disc' },
  ]);
