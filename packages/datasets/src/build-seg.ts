import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  type Box,
  InvalidArgumentError,
  iou,
  loadImage,
  type Mask,
  maskToPolygons,
  maskToRle,
  type Progress,
  PromptUnsupportedError,
  type RawImage,
  silentProgress,
} from '@segkit/core';
import { isConceptModel, Sam3Finder, Segmenter } from '@segkit/models';
import { writeDataset } from './formats.js';
import { segmentationStats } from './masks.js';
import type { Annotation, Dataset, DatasetImage, Segmentation } from './types.js';

/** Options for {@link buildSegmentation}. */
export interface BuildSegOptions {
  /**
   * Segmentation model: `sam`, `classic`, `sam3-tracker`, a repo or a folder (default: `sam` if downloaded, else
   * `classic`); or a SAM 3 concept model (`sam3`, …), which takes each box as a positive exemplar.
   */
  model?: string;
  /**
   * With a SAM 3 concept model: each box's class name is the text prompt, next to the box as a positive exemplar
   * (text-only layouts get the text alone); the instance that best covers the box is kept.
   */
  textFromLabels?: boolean;
  /** Masks scoring below this fall back to the box (default 0). */
  scoreThreshold?: number;
  /** Douglas–Peucker tolerance for polygons, in pixels (default 1.5). */
  simplify?: number;
  /** Masks smaller than this many pixels fall back to the box (default 0). */
  minArea?: number;
  /** Images processed concurrently (default 1). */
  workers?: number;
  progress?: Progress;
  onNotice?: (message: string) => void;
}

export interface BuildSegSummary {
  images: number;
  masks: number;
  fallbacks: number;
  /** Images taken from an earlier, interrupted run. */
  resumed: number;
  seconds: number;
  model: string;
}

const boxPolygon = ([x, y, w, h]: Box) => [x, y, x + w, y, x + w, y + h, x, y + h];

/** The kept mask: one simplified polygon when the mask is one part without holes, otherwise exact RLE. */
function keep(mask: Parameters<typeof maskToPolygons>[0], tolerance: number): Segmentation {
  const rings = maskToPolygons(mask, { tolerance });
  if (rings.length === 1 && rings[0]!.type === 'outer') return { polygons: [rings[0]!.points] };
  return { rle: maskToRle(mask) };
}

/**
 * Turns a box dataset into a segmentation dataset: every box prompts the segmenter, and the best mask is kept
 * (as a simplified polygon, or RLE when it has holes or parts). A mask below `scoreThreshold` or `minArea`, or an
 * empty one, falls back to the box as a 4-point polygon and is counted. Each image is encoded once and all its boxes
 * are prompted against the cached embedding. Progress is journalled next to `out`, so an interrupted run resumes;
 * the result is written atomically as COCO, and the source dataset is never modified.
 */
export async function buildSegmentation(
  ds: Dataset,
  out: string,
  opts: BuildSegOptions = {},
): Promise<BuildSegSummary> {
  const t0 = performance.now();
  const journal = join(dirname(out), `.${basename(out)}.build-seg.jsonl`);
  const done = new Map<number, Annotation[]>();
  if (existsSync(journal)) {
    for (const line of readFileSync(journal, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as { imageId: number; annotations: Annotation[] };
        done.set(entry.imageId, entry.annotations);
      } catch {
        // A line cut short by the interruption: that image is simply done again.
      }
    }
  }
  const resumed = done.size;
  const names = new Map(ds.categories.map((c) => [c.id, c.name]));
  const { prompt, modelName } = await boxPrompter(opts, names);
  const progress = opts.progress ?? silentProgress;
  const byImage = new Map<number, Annotation[]>();
  for (const a of ds.annotations) byImage.set(a.imageId, [...(byImage.get(a.imageId) ?? []), a]);
  const todo = ds.images.filter((img) => !done.has(img.id));
  let finished = resumed;
  progress.update(finished, ds.images.length);
  await mkdir(dirname(journal), { recursive: true });

  const processImage = async (img: DatasetImage) => {
    const anns = byImage.get(img.id) ?? [];
    const photo = anns.length ? await loadImage(join(ds.imageRoot, img.file)) : undefined;
    const outAnns: Annotation[] = [];
    for (const a of anns) {
      const [x, y, w, h] = a.bbox;
      // Boxes are clipped to the image; a degenerate box cannot prompt anything and falls back.
      const box: Box = [
        Math.max(0, x),
        Math.max(0, y),
        Math.min(w, img.width - Math.max(0, x)),
        Math.min(h, img.height - Math.max(0, y)),
      ];
      let seg: Segmentation | undefined;
      let score: number | undefined;
      if (photo && box[2] > 0 && box[3] > 0) {
        const r = await prompt(photo, box, a.categoryId);
        if (r && r.area > 0 && r.area >= (opts.minArea ?? 0) && r.score >= (opts.scoreThreshold ?? 0)) {
          seg = keep(r.mask, opts.simplify ?? 1.5);
          score = r.score;
        }
      }
      const fallback = !seg;
      const segmentation = seg ?? { polygons: [boxPolygon(box[2] > 0 && box[3] > 0 ? box : a.bbox)] };
      // Area and bbox of what is written, as pycocotools' area()/toBbox() give them, not the prompt box's.
      const stats = box[2] > 0 && box[3] > 0 ? segmentationStats(segmentation, img) : undefined;
      outAnns.push({
        ...a,
        ...(stats ?? {}),
        segmentation,
        ...(score !== undefined ? { score } : {}),
        source: fallback ? a.source : 'model',
        attributes: { ...(a.attributes ?? {}), segkit_fallback: fallback },
      });
    }
    done.set(img.id, outAnns);
    await appendFile(journal, `${JSON.stringify({ imageId: img.id, annotations: outAnns })}\n`);
    progress.update(++finished, ds.images.length);
  };

  const workers = Math.max(1, Math.floor(opts.workers ?? 1));
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < todo.length) await processImage(todo[next++]!);
    }),
  );
  progress.finish();
  const annotations = ds.images.flatMap((img) => done.get(img.id) ?? []);
  await writeDataset({ ...ds, annotations, warnings: [] }, out, 'coco');
  await rm(journal, { force: true });
  const fallbacks = annotations.filter((a) => a.attributes?.segkit_fallback === true).length;
  return {
    images: ds.images.length,
    masks: annotations.length - fallbacks,
    fallbacks,
    resumed,
    seconds: (performance.now() - t0) / 1000,
    model: modelName,
  };
}

type Prompter = (
  photo: RawImage,
  box: Box,
  categoryId: number,
) => Promise<{ mask: Mask; score: number; area: number } | undefined>;

/** How a box becomes a mask: a box prompt to a segmenter, or SAM 3 concept search with the box as an exemplar. */
async function boxPrompter(
  opts: BuildSegOptions,
  names: Map<number, string>,
): Promise<{ prompt: Prompter; modelName: string }> {
  if (opts.model && isConceptModel(opts.model)) {
    const finder = await Sam3Finder.create({ model: opts.model });
    const exemplars = finder.backend.contract.exemplars !== 'none';
    if (!exemplars && !opts.textFromLabels)
      throw new PromptUnsupportedError(
        `${finder.modelName} (${finder.layout}) takes text only, so it needs --text-from-labels to turn boxes into masks; sam3 and sam3-anylabeling take the boxes themselves`,
      );
    const prompt: Prompter = async (photo, box, categoryId) => {
      const found = await finder.find(photo, {
        ...(opts.textFromLabels ? { text: names.get(categoryId) ?? '' } : {}),
        ...(exemplars ? { positiveExemplars: [box] } : {}),
      });
      // The instance that best covers the box: the highest IoU between its mask and the box.
      const boxMask = boxAsMask(box, photo);
      let best: { mask: Mask; score: number; area: number } | undefined;
      let bestIou = 0;
      for (const inst of found.instances) {
        const v = iou(inst.mask, boxMask);
        if (v > bestIou) {
          bestIou = v;
          best = { mask: inst.mask, score: inst.score, area: inst.mask.data.reduce((s, x) => s + x, 0) };
        }
      }
      return best;
    };
    return { prompt, modelName: finder.modelName };
  }
  if (opts.textFromLabels)
    throw new InvalidArgumentError(
      `--text-from-labels needs a SAM 3 concept model (--model sam3, sam3-text or sam3-anylabeling), not ${opts.model ?? 'the default segmenter'}`,
    );
  const segmenter = await Segmenter.create({
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.onNotice ? { onNotice: opts.onNotice } : {}),
  });
  if (!segmenter.accepts.box)
    throw new PromptUnsupportedError(
      `build-seg prompts the segmenter with boxes, and ${segmenter.modelName} takes none (its decoder has no input_boxes); use the \`sam\` preset, sam2-tiny, sam2-small, sam3-tracker or classic`,
    );
  return {
    prompt: (photo, box) => segmenter.segment(photo, { prompt: { box } }),
    modelName: segmenter.modelName,
  };
}

function boxAsMask([x, y, w, h]: Box, image: RawImage): Mask {
  const data = new Uint8Array(image.width * image.height);
  for (let yy = Math.floor(y); yy < Math.min(image.height, Math.ceil(y + h)); yy++)
    data.fill(
      1,
      yy * image.width + Math.floor(x),
      yy * image.width + Math.min(image.width, Math.ceil(x + w)),
    );
  return { width: image.width, height: image.height, data };
}
