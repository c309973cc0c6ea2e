import { type Box, PromptInvalidError, PromptOutOfBoundsError } from '@segkit/core';
import type { DecoderPrompt } from './backend/promptable-types.js';
import type { Prompt } from './types.js';

const finitePair = (p: unknown): p is [number, number] =>
  Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number' && Number.isFinite(v));

function checkPoint(p: unknown, width: number, height: number, what: string): [number, number] {
  if (!finitePair(p))
    throw new PromptInvalidError(`${what} must be [x, y] with finite numbers, got ${JSON.stringify(p)}`);
  const [x, y] = p;
  if (x < 0 || y < 0 || x >= width || y >= height) {
    throw new PromptOutOfBoundsError(`${what} (${x}, ${y}) is outside the ${width}×${height} image`);
  }
  return [x, y];
}

function checkBox(b: unknown, width: number, height: number): [number, number, number, number] {
  if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new PromptInvalidError(`box must be [x, y, w, h] with finite numbers, got ${JSON.stringify(b)}`);
  }
  const [x, y, w, h] = b as Box;
  if (w <= 0 || h <= 0) throw new PromptInvalidError(`box [${b.join(', ')}] is empty: w and h must be > 0`);
  if (x < 0 || y < 0 || x + w > width || y + h > height) {
    throw new PromptOutOfBoundsError(`box [${b.join(', ')}] is outside the ${width}×${height} image`);
  }
  return [x, y, x + w, y + h];
}

/**
 * Checks a find-all exemplar box `[x, y, w, h]`: finite, not empty, inside the image (`E_PROMPT_OUT_OF_BOUNDS`).
 * Shared by the CLIPSeg pipeline and SAM 3, so both refuse the same boxes with the same words.
 */
export function checkExemplar(box: Box, width: number, height: number): Box {
  const [x, y, w, h] = box;
  if (
    ![x, y, w, h].every(Number.isFinite) ||
    w <= 0 ||
    h <= 0 ||
    x < 0 ||
    y < 0 ||
    x + w > width ||
    y + h > height
  )
    throw new PromptOutOfBoundsError(
      `Exemplar box [${x}, ${y}, ${w}, ${h}] is outside the ${width}×${height} image`,
    );
  return box;
}

/**
 * Validates a prompt against the image size and converts it to decoder geometry (points, labels, xyxy box).
 * No prompt means one positive point at the image centre.
 */
export function normalizePrompt(prompt: Prompt | undefined, width: number, height: number): DecoderPrompt {
  if (prompt === undefined || prompt === null)
    return { points: [[(width - 1) / 2, (height - 1) / 2]], labels: [1] };
  if (typeof prompt !== 'object')
    throw new PromptInvalidError(
      'A prompt must be an object: { point }, { points }, { box } or { box, points }',
    );
  const out: DecoderPrompt = { points: [], labels: [] };
  if ('point' in prompt) {
    out.points.push(checkPoint(prompt.point, width, height, 'point'));
    out.labels.push(1);
  }
  if ('points' in prompt && prompt.points !== undefined) {
    if (!Array.isArray(prompt.points) || prompt.points.length === 0) {
      throw new PromptInvalidError('points must be a non-empty list of { point: [x, y], label: 1 | 0 }');
    }
    prompt.points.forEach((p, i) => {
      if (!p || (p.label !== 0 && p.label !== 1))
        throw new PromptInvalidError(`points[${i}].label must be 1 (positive) or 0 (negative)`);
      out.points.push(checkPoint(p.point, width, height, `points[${i}]`));
      out.labels.push(p.label);
    });
    if (!('box' in prompt && prompt.box) && !out.labels.includes(1)) {
      throw new PromptInvalidError('A prompt needs at least one positive point or a box');
    }
  }
  if ('box' in prompt && prompt.box !== undefined) out.box = checkBox(prompt.box, width, height);
  if (!out.points.length && !out.box) throw new PromptInvalidError('A prompt needs a point, points or a box');
  return out;
}
