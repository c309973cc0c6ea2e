import { join } from 'node:path';
import { collectImages } from '@segkit/analytics';
import { checkOutputs, ModelMissingError, UsageError } from '@segkit/core';
import { readPromptSet, resolveModelRef } from '@segkit/models';
import {
  applyCascade,
  applyRecipe,
  FindRunner,
  type MineProgress,
  type ModelTag,
  mineRecipes,
  prepareRecipe,
  type RecipeModels,
  type RunnerModels,
  readCascade,
  readRecipe,
  reportText,
  writeMineOutput,
} from '@segkit/recipes';
import { defineCommand, eager, numberOption, type OptionValues, requireOption } from '../command.js';
import { jsonOption, printResult } from '../util.js';
import { runOver, summary, writeDetections } from './recipe-output.js';

const modelOptions = {
  model: {
    type: 'string',
    valueName: 'NAME',
    description:
      'A SAM 3 concept model answers every find-all (sam3, sam3-text, a folder); without it, CLIPSeg + SAM + CLIP',
    aliases: ['find-model'],
  },
  'segment-model': {
    type: 'string',
    valueName: 'NAME',
    description: 'Pipeline segmenter (default: sam if downloaded, else classic)',
  },
  'text-model': {
    type: 'string',
    valueName: 'NAME',
    description: 'Pipeline CLIPSeg model (default: clipseg)',
  },
  'embed-model': {
    type: 'string',
    valueName: 'NAME',
    description: 'CLIP model of the filters (default: clip)',
  },
} as const;

const str = (o: OptionValues, k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);

/** A model the recipe recorded; a local folder it names must be given again by path. */
function recordedRef(tag: ModelTag | undefined, flag: string): string | undefined {
  if (!tag) return undefined;
  try {
    resolveModelRef(tag.ref);
    return tag.ref;
  } catch {
    throw new ModelMissingError(
      `The recipe was mined with the model folder "${tag.ref}" (${tag.id}), which is not here: give its path with --${flag} DIR`,
    );
  }
}

/** The models the flags name; for apply, the recipe's recorded ones fill the gaps. */
function modelsFrom(o: OptionValues, recorded?: RecipeModels): RunnerModels {
  const m: RunnerModels = {};
  const pipelineFlags = str(o, 'segment-model') || str(o, 'text-model');
  const find = str(o, 'model') ?? (pipelineFlags ? undefined : recordedRef(recorded?.find, 'model'));
  if (find) m.find = find;
  const segment =
    str(o, 'segment-model') ?? (find ? undefined : recordedRef(recorded?.segment, 'segment-model'));
  if (segment) m.segment = segment;
  const text = str(o, 'text-model') ?? (find ? undefined : recordedRef(recorded?.text, 'text-model'));
  if (text) m.text = text;
  const embed = str(o, 'embed-model') ?? recordedRef(recorded?.embed, 'embed-model');
  if (embed) m.embed = embed;
  if (m.find && (str(o, 'segment-model') || str(o, 'text-model')))
    throw new UsageError(
      '--segment-model and --text-model are options of the pipeline; SAM 3 (--model) answers find-all itself',
    );
  return m;
}

const progressLine = (e: MineProgress) =>
  `[${e.classIndex + 1}/${e.classes}] ${e.className}: ${e.stage}${e.stage === 'done' || e.stage === 'tuning' ? '' : ` ${e.done}/${e.total}`}\n`;

const mine = defineCommand({
  name: 'mine',
  description:
    'Mine a find-all recipe per class from a labelled dataset: the prompts, crops and thresholds that find each class best on a validation split.',
  positionals: [
    { name: 'dataset', description: 'A labelled dataset (COCO, YOLO-seg, PNG masks; folder or .zip)' },
  ],
  options: {
    output: {
      type: 'string',
      short: 'o',
      valueName: 'DIR',
      description: 'Folder for <class>.zip, report.json, report.txt and curves (required)',
    },
    classes: { type: 'string', valueName: 'a,b', description: 'Mine only these classes (default: all)' },
    val: {
      type: 'string',
      valueName: 'SHARE',
      default: '0.2',
      description: 'Validation share of the images',
    },
    seed: { type: 'string', valueName: 'N', default: '42', description: 'Seed of the split' },
    prompts: {
      type: 'string',
      valueName: 'prompts.json',
      description: 'Extra prompts per class: {"NAME": ["…", …]}',
    },
    head: {
      type: 'string',
      valueName: 'DIR',
      description: 'A classifier head: its gate filters the classes it knows',
    },
    mode: {
      type: 'string',
      valueName: 'greedy|steps',
      default: 'greedy',
      description: 'A prompt bank, or a chain of text-seeded steps',
    },
    'target-precision': {
      type: 'string',
      valueName: 'P',
      default: '0.9',
      description: 'The precision the filter aims for',
    },
    iou: {
      type: 'string',
      valueName: 'IOU',
      default: '0.5',
      description: 'Mask IoU at which a detection matches an instance',
    },
    ...modelOptions,
    ...jsonOption,
  },
  examples: [
    'segkit recipe mine shapes -o recipes --model fixtures/models/sam3-fixture --embed-model fixtures/models/clip-fixture',
  ],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit recipe mine');
    checkOutputs({ dirs: [out] });
    const mode = str(options, 'mode') ?? 'greedy';
    if (mode !== 'greedy' && mode !== 'steps')
      throw new UsageError(`--mode must be greedy or steps, got ${JSON.stringify(mode)}`);
    const prompts = str(options, 'prompts');
    const promptSet = prompts ? await readPromptSet(prompts) : undefined;
    const json = options.json === true;
    const result = await mineRecipes(positionals[0]!, {
      models: modelsFrom(options),
      ...(str(options, 'classes')
        ? {
            classes: str(options, 'classes')!
              .split(',')
              .map((c) => c.trim())
              .filter(Boolean),
          }
        : {}),
      val: numberOption(options, 'val', 0.2, 0.01, 0.9),
      seed: numberOption(options, 'seed', 42, 0),
      ...(promptSet ? { prompts: promptSet } : {}),
      ...(str(options, 'head') ? { head: str(options, 'head')! } : {}),
      mode,
      targetPrecision: numberOption(options, 'target-precision', 0.9, 0.01, 1),
      iou: numberOption(options, 'iou', 0.5, 0.05, 1),
      onProgress: (e) => {
        if (!json && (e.stage !== 'validation' || e.done === e.total || e.done % 10 === 0))
          io.stderr(progressLine(e));
      },
    });
    const files = await writeMineOutput(out, result);
    printResult(io, options, result.report, () => reportText(result.report));
    io.stderr(`wrote ${files.map((f) => join(out, f)).join(', ')}\n`);
  },
});

const applyOptions = {
  output: { type: 'string', short: 'o', valueName: 'DIR', description: 'Output folder (required)' },
  format: {
    type: 'string',
    valueName: 'coco|masks',
    default: 'coco',
    description: 'annotations.json, or one PNG per instance',
  },
  ...modelOptions,
  ...jsonOption,
} as const;

const apply = defineCommand({
  name: 'apply',
  description: 'Apply a recipe to images: its prompts (or steps), its filter and de-duplication.',
  positionals: [{ name: 'images', description: 'Image files or folders', variadic: true }],
  options: {
    recipe: { type: 'string', valueName: 'R.zip', description: 'The recipe ZIP (required)' },
    'class-as': { type: 'string', valueName: 'NAME', description: 'Name the detections with this class' },
    ...applyOptions,
  },
  examples: [
    'segkit recipe apply --recipe recipes/red-square.zip shapes/images -o found --embed-model fixtures/models/clip-fixture --model fixtures/models/sam3-fixture',
  ],
  async run({ positionals, options, io }) {
    const file = requireOption(options, 'recipe', 'segkit recipe apply');
    const out = requireOption(options, 'output', 'segkit recipe apply');
    const format = str(options, 'format') ?? 'coco';
    if (format !== 'coco' && format !== 'masks')
      throw new UsageError(`--format must be coco or masks, got ${JSON.stringify(format)}`);
    checkOutputs({ dirs: [out] });
    if (!positionals.length) throw new UsageError('segkit recipe apply needs at least one image or folder');
    const images = collectImages(positionals);
    const bundle = await readRecipe(file);
    const runner = new FindRunner(modelsFrom(options, bundle.recipe.models));
    const loaded = await prepareRecipe(bundle, runner);
    const classAs = str(options, 'class-as');
    const perImage = await runOver(images, io, (p) =>
      applyRecipe(loaded, runner, p, classAs ? { classAs } : {}),
    );
    await writeDetections(out, format, perImage);
    printResult(io, options, summary(perImage), () =>
      perImage.map((p) => `${p.path}: ${p.dets.length}\n`).join(''),
    );
    io.stderr(`wrote ${out}\n`);
  },
});

const cascade = defineCommand({
  name: 'cascade',
  description: 'Apply a cascade of recipes to images, then de-duplicate per class and across classes.',
  positionals: [
    { name: 'cascade', description: 'cascade.json: {"steps": [{"recipe": "a.zip", …}], "dedup": {…}}' },
    { name: 'images', description: 'Image files or folders', variadic: true },
  ],
  options: applyOptions,
  examples: [
    'segkit recipe cascade cascade.json shapes/images -o found --embed-model fixtures/models/clip-fixture --model fixtures/models/sam3-fixture',
  ],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit recipe cascade');
    const format = str(options, 'format') ?? 'coco';
    if (format !== 'coco' && format !== 'masks')
      throw new UsageError(`--format must be coco or masks, got ${JSON.stringify(format)}`);
    checkOutputs({ dirs: [out] });
    if (positionals.length < 2)
      throw new UsageError('segkit recipe cascade needs a cascade file and at least one image or folder');
    const c = await readCascade(positionals[0]!);
    const images = collectImages(positionals.slice(1));
    const runner = new FindRunner(modelsFrom(options, c.steps[0]!.bundle.recipe.models));
    const perImage = await runOver(images, io, (p) => applyCascade(c, runner, p));
    await writeDetections(out, format, perImage);
    printResult(io, options, summary(perImage), () =>
      perImage.map((p) => `${p.path}: ${p.dets.length}\n`).join(''),
    );
    io.stderr(`wrote ${out}\n`);
  },
});

export const recipeCommand = defineCommand({
  name: 'recipe',
  description: 'Find-all recipes: mine one per class from labelled images, apply one, or a cascade of them.',
  subcommands: { mine: eager(mine), apply: eager(apply), cascade: eager(cascade) },
});
