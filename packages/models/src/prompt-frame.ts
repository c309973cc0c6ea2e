// Prompts arrive in original-image pixels; every decoder wants them in its own input frame. One function does it, for
// the server's backends and the browser's decoder alike (no Node or runtime import here).

/** Points with their labels and a box as x0, y0, x1, y1, in original-image pixels. */
export interface PixelPrompt {
  points: readonly (readonly [number, number])[];
  labels: readonly number[];
  box?: readonly [number, number, number, number];
}

/** A prompt's points and box scaled from an image of `original` [h, w] to the model's resized image `reshaped` [h, w]. */
export interface FramePrompt {
  /** x, y pairs, flat. */
  points: number[];
  labels: number[];
  /** [x0, y0, x1, y1] in the frame. */
  box?: [number, number, number, number];
}

/** Scales one point from original pixels into the frame. */
export function toFrame(
  [x, y]: readonly [number, number],
  original: readonly [number, number],
  reshaped: readonly [number, number],
): [number, number] {
  return [(x * reshaped[1]) / original[1], (y * reshaped[0]) / original[0]];
}

/** Scales a whole prompt (points with their labels, and the box) from original pixels into the frame. */
export function promptToFrame(
  prompt: PixelPrompt,
  original: readonly [number, number],
  reshaped: readonly [number, number],
): FramePrompt {
  const points = prompt.points.flatMap((p) => toFrame(p, original, reshaped));
  const out: FramePrompt = { points, labels: prompt.labels.slice(0, prompt.points.length) };
  if (prompt.box) {
    const [x0, y0] = toFrame([prompt.box[0], prompt.box[1]], original, reshaped);
    const [x1, y1] = toFrame([prompt.box[2], prompt.box[3]], original, reshaped);
    out.box = [x0, y0, x1, y1];
  }
  return out;
}
