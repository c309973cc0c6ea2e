import { checkOutputs, readJsonFile, UsageError } from '@segkit/core';
import { apSummary, type CocoGt, cocoAp, readDetections, writeApReport } from '@segkit/datasets';
import { defineCommand, requireOption } from '../command.js';
import { jsonOption, printResult } from '../util.js';

/** `segkit eval ap`: instance segmentation (or detection) scored as COCOeval scores it. */
export const evalApCommand = defineCommand({
  name: 'ap',
  description:
    'COCO AP of detections against COCO ground truth, exactly as pycocotools COCOeval computes it: the 12 summary figures and AP per category.',
  options: {
    gt: { type: 'string', valueName: 'GT.json', description: 'COCO ground truth (required)' },
    pred: {
      type: 'string',
      valueName: 'RESULTS.json',
      description:
        'A COCO results list [{image_id, category_id, segmentation|bbox, score}] or a COCO file with scores (required)',
    },
    'iou-type': { type: 'string', valueName: 'segm|bbox', default: 'segm', description: 'Masks or boxes' },
    output: {
      type: 'string',
      short: 'o',
      valueName: 'DIR',
      description:
        'Write summary.txt, ap.json and precision–recall curves (pr-all.png, pr-<category>.png) here',
      aliases: ['out'],
    },
    ...jsonOption,
  },
  examples: [
    'segkit eval ap --gt examples/dataset/coco/annotations.json --pred examples/dataset/preds/results.json',
    'segkit eval ap --gt gt.json --pred results.json --iou-type bbox --json',
  ],
  async run({ options, io }) {
    const iouType = String(options['iou-type'] ?? 'segm');
    if (iouType !== 'segm' && iouType !== 'bbox') throw new UsageError('--iou-type must be segm or bbox');
    const out = typeof options.output === 'string' ? options.output : undefined;
    if (out) checkOutputs({ dirs: [out] });
    const gt = (await readJsonFile(requireOption(options, 'gt', 'segkit eval ap'))) as CocoGt;
    if (!gt || !Array.isArray(gt.images) || !Array.isArray(gt.categories) || !Array.isArray(gt.annotations))
      throw new UsageError('--gt must be a COCO file with images, categories and annotations');
    const dt = await readDetections(requireOption(options, 'pred', 'segkit eval ap'));
    const r = cocoAp(gt, dt, iouType);
    const names = new Map(gt.categories.map((c) => [c.id, c.name ?? String(c.id)]));
    if (out) {
      const files = await writeApReport(r, out, names);
      io.stderr(`wrote ${files.length} files to ${out}\n`);
    }
    printResult(
      io,
      options,
      { stats: r.stats, per_category_AP: r.per_category_AP, iouType, counts: r.counts },
      () => apSummary(r, names),
    );
  },
});
