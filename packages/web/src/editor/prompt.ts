// The prompt being built for one object: clicks (positive / negative) and a box, in image pixels.
import type { BrowserPrompt } from '@segkit/models/browser';
import type { BoxXYWH, Point } from './geometry.js';

export interface Click {
  point: Point;
  /** 1 positive (left click), 0 negative (right click or Alt-click). */
  label: 0 | 1;
}

export interface DraftPrompt {
  clicks: Click[];
  box: BoxXYWH | null;
}

export const emptyPrompt = (): DraftPrompt => ({ clicks: [], box: null });

export const addClick = (p: DraftPrompt, point: Point, label: 0 | 1): DraftPrompt => ({
  ...p,
  clicks: [...p.clicks, { point, label }],
});

export const withBox = (p: DraftPrompt, box: BoxXYWH): DraftPrompt => ({ ...p, box });

/** A hover preview: the prompt plus a positive point under the mouse. */
export const withHover = (p: DraftPrompt, point: Point): DraftPrompt => addClick(p, point, 1);

export const isEmpty = (p: DraftPrompt) => p.clicks.length === 0 && !p.box;

/** The decoder's prompt: points with labels, and the box as corners x0, y0, x1, y1. */
export function toDecoderPrompt(p: DraftPrompt): BrowserPrompt {
  return {
    points: p.clicks.map((c) => c.point),
    labels: p.clicks.map((c) => c.label),
    ...(p.box ? { box: [p.box[0], p.box[1], p.box[0] + p.box[2], p.box[1] + p.box[3]] } : {}),
  };
}

/** The server's segment request for the same prompt (the classic backend's path). */
export function toSegmentRequest(p: DraftPrompt): {
  points?: { x: number; y: number; label: 0 | 1 }[];
  box?: BoxXYWH;
  multimask: true;
} {
  return {
    ...(p.clicks.length
      ? { points: p.clicks.map((c) => ({ x: c.point[0], y: c.point[1], label: c.label })) }
      : {}),
    ...(p.box ? { box: p.box } : {}),
    multimask: true,
  };
}

/**
 * Which decoder graph takes the prompt: SlimSAM's points graph and boxes graph are separate, so a prompt is sent to
 * the graph whose inputs take all of it (the server does the same), or undefined when none does.
 */
export function pickGraph<G extends { points: boolean; boxes: boolean }>(
  graphs: G[],
  p: DraftPrompt,
): G | undefined {
  const wantPoints = p.clicks.length > 0;
  const wantBox = p.box !== null;
  return graphs.find((g) => (!wantPoints || g.points) && (!wantBox || g.boxes));
}
