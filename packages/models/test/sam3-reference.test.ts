// SegKit's SAM 3 pre- and post-processing against an independent numpy implementation (reference/sam3_ref.py) on
// the real-architecture graphs: SegKit runs the graphs and hands over the image, the prompt, what it fed and what the
// graphs answered; the script recomputes the feeds from the image and prompt and the instances from the raw answers.
// Skipped, saying so, without python3 + numpy or without ../shared/real-arch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Box, iou, toRawImage } from '@segkit/core';
import type { Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Sam3Finder } from '../src/index.js';
import { repoRoot } from './helpers/hub-server.js';
import { readNpyU8, writeNpy } from './helpers/npy.js';

const realArch = join(repoRoot, '../shared/real-arch');
const hasNumpy = spawnSync('python3', ['-c', 'import numpy']).status === 0;
const ready = hasNumpy && existsSync(join(realArch, 'sam3-usls'));
if (!ready)
  console.warn(
    `SAM 3 numpy reference check skipped: ${hasNumpy ? `${realArch} is absent` : 'python3 with numpy is not installed'}`,
  );

interface Case {
  layout: string;
  text: string;
  positives: Box[];
  negatives: Box[];
  threshold?: number;
  maxInstances: number;
}

const CASES: Case[] = [
  {
    layout: 'sam3-usls',
    text: 'a red cup',
    positives: [[100, 50, 120, 200]],
    negatives: [[300, 100, 50, 50]],
    threshold: 0,
    maxInstances: 25,
  },
  {
    layout: 'sam3-usls',
    text: 'coffee on the table',
    positives: [],
    negatives: [],
    threshold: 0,
    maxInstances: 10,
  },
  { layout: 'sam3-text', text: 'cup', positives: [], negatives: [], maxInstances: 25 },
  {
    layout: 'sam3-samexporter',
    text: 'a red cup',
    positives: [[100, 50, 120, 200]],
    negatives: [[300, 100, 50, 50]],
    maxInstances: 50,
  },
];

const flat = (t: Tensor) => t.data as Float32Array;

describe.skipIf(!ready)('SAM 3 against the numpy reference', () => {
  it.each(CASES)(
    '$layout, "$text", $positives.length positive and $negatives.length negative exemplars',
    async (c) => {
      const dir = mkdtempSync(join(tmpdir(), 'sam3-ref-'));
      const finder = await Sam3Finder.create({ model: join(realArch, c.layout), diskCacheDir: false });
      const image = await toRawImage(join(repoRoot, 'examples/coffee.png'));
      writeNpy(join(dir, 'image.npy'), image.data, [image.height, image.width, image.channels]);
      const fed = {
        boxes: [] as number[][],
        labels: [] as number[],
        calls: 0,
        attention: undefined as number[] | undefined,
      };
      finder.backend.observer = (graph, feeds, out) => {
        if (graph === 'vision') {
          const px = Object.values(feeds)[0]!;
          writeNpy(join(dir, 'pixels.npy'), px.data as Float32Array | Uint8Array, px.dims);
        } else if (graph === 'text') {
          const ids = feeds.input_ids ?? feeds.tokens!;
          writeNpy(join(dir, 'ids.npy'), ids.data as BigInt64Array, [32]);
          if (feeds.attention_mask)
            fed.attention = Array.from(feeds.attention_mask.data as BigInt64Array, Number);
        } else {
          const k = fed.calls++;
          if (feeds.input_boxes) {
            const labels = Array.from(feeds.input_boxes_labels!.data as BigInt64Array, Number);
            const b = Array.from(flat(feeds.input_boxes));
            labels.forEach((l, i) => {
              if (l !== -10) {
                fed.boxes.push(b.slice(i * 4, i * 4 + 4));
                fed.labels.push(l);
              }
            });
          } else if (feeds.box_coords && !(feeds.box_masks!.data as Uint8Array)[0]) {
            fed.boxes.push(Array.from(flat(feeds.box_coords)));
            fed.labels.push(Number((feeds.box_labels!.data as BigInt64Array)[0]));
          }
          if (out.pred_masks) {
            writeNpy(join(dir, `masks${k}.npy`), flat(out.pred_masks), out.pred_masks.dims);
            writeNpy(join(dir, `boxes${k}.npy`), flat(out.pred_boxes!), out.pred_boxes!.dims);
            writeNpy(join(dir, `logits${k}.npy`), flat(out.pred_logits!), out.pred_logits!.dims);
            if (out.presence_logits) writeNpy(join(dir, `presence${k}.npy`), flat(out.presence_logits), [1]);
          } else {
            writeNpy(join(dir, `masks${k}.npy`), out.masks!.data as Uint8Array, out.masks!.dims);
            writeNpy(join(dir, `boxes${k}.npy`), flat(out.boxes!), out.boxes!.dims);
            writeNpy(join(dir, `scores${k}.npy`), flat(out.scores!), out.scores!.dims);
          }
        }
      };
      const result = await finder.find(image, {
        text: c.text,
        positiveExemplars: c.positives,
        negativeExemplars: c.negatives,
        maxInstances: c.maxInstances,
        ...(c.threshold !== undefined ? { threshold: c.threshold } : {}),
      });
      const tokenizer = join(realArch, c.layout, c.layout === 'sam3-samexporter' ? 'clip_tokenizer' : '.');
      writeFileSync(
        join(dir, 'case.json'),
        JSON.stringify({
          layout: c.layout,
          text: c.text,
          tokenizer,
          positives: c.positives,
          negatives: c.negatives,
          threshold: c.threshold ?? 0.3,
          maxInstances: c.maxInstances,
          presence: finder.backend.contract.presence,
          calls: fed.calls,
          fedBoxes: fed.boxes,
          fedLabels: fed.labels,
          ...(fed.attention ? { attention_mask: fed.attention } : {}),
        }),
      );
      const py = spawnSync('python3', [join(repoRoot, 'packages/models/test/reference/sam3_ref.py'), dir], {
        encoding: 'utf8',
      });
      expect(py.status, py.stderr).toBe(0);
      const ref = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as {
        problems: string[];
        instances: { score: number; box: Box }[];
      };
      expect(ref.problems).toEqual([]);
      expect(result.instances.length).toBe(ref.instances.length);
      expect(ref.instances.length).toBeGreaterThan(0);
      const masks = readNpyU8(join(dir, 'ref_masks.npy'));
      const [n, h, w] = masks.shape as [number, number, number];
      result.instances.forEach((inst, i) => {
        expect(inst.score).toBeCloseTo(ref.instances[i]!.score, 5);
        inst.bbox.forEach((v, k) => {
          expect(Math.abs(v - ref.instances[i]!.box[k]!)).toBeLessThanOrEqual(1);
        });
        const refMask = { width: w, height: h, data: masks.data.subarray(i * h * w, (i + 1) * h * w) };
        const both = inst.mask.data.some((v) => v) || refMask.data.some((v) => v);
        if (both) expect(iou(inst.mask, refMask)).toBeGreaterThanOrEqual(0.99);
      });
      expect(n).toBe(result.instances.length);
      rmSync(dir, { recursive: true, force: true }); // 80 MB of arrays per case; kept only when a case fails
    },
  );
});
