// Recipes on the server: imported ZIPs (checked, kept as blobs), the runner of a project's models, applying a recipe
// or a cascade to an image (model-made find-all annotations named after the recipe; applying again replaces them),
// and the labelled images a mining job learns from.
import { InvalidArgumentError, rleArea } from '@segkit/core';
import {
  applyCascade,
  applyRecipe,
  type CascadeStep,
  FindRunner,
  type ImageSource,
  type LabelledImages,
  type LoadedCascade,
  prepareRecipe,
  type RecipeBundle,
  type RecipeDetection,
  readRecipe,
} from '@segkit/recipes';
import type { ServerContext } from '../context.js';
import { replaceAnnotations, userMasks } from '../repo/annotations.js';
import type { ImageMeta } from '../repo/images.js';
import { putRecipe, type RecipeRow } from '../repo/recipes.js';
import type { AnnotationT, CascadeApplyT, ProjectT } from '../schemas.js';
import { resolveTextModel } from './text-models.js';

/** What an annotation made by a recipe records as its model. */
export const recipeModel = (name: string) => `recipe:${name}`;

/** The runner of a project's models (find, segment, text, embed), each allowed by the server. */
export async function projectRunner(ctx: ServerContext, project: ProjectT): Promise<FindRunner> {
  const m = ctx.projectModels(project);
  const find = ctx.allowModel(m.find);
  const segment = ctx.allowModel(m.segment);
  const text = await resolveTextModel(ctx, project.id, m.text);
  const embed = ctx.allowModel(m.embed);
  return new FindRunner({
    ...(find ? { find } : {}),
    ...(segment ? { segment } : {}),
    ...(text ? { text } : {}),
    ...(embed ? { embed } : {}),
  });
}

/** The summary a recipe row keeps for lists. */
function summaryOf(b: RecipeBundle) {
  const r = b.recipe;
  return {
    mode: r.mode,
    prompts: r.mode === 'steps' ? r.steps.map((s) => s.text) : r.prompts,
    filter: r.filter?.kind ?? null,
    backend: r.models.backend,
    embedModel: r.models.embed.ref,
    scores: r.scores,
  };
}

/** Checks a recipe ZIP and stores it (a recipe of the same name is replaced). */
export async function importRecipe(
  ctx: ServerContext,
  projectId: number,
  bytes: Uint8Array,
  by: string | null,
) {
  const bundle = await readRecipe(bytes, 'the uploaded recipe');
  const blob = await ctx.blobs.put(bytes);
  const { recipe, replacedBlob } = await putRecipe(ctx.db, {
    projectId,
    name: bundle.recipe.name,
    className: bundle.recipe.className,
    blob,
    summary: summaryOf(bundle),
    by,
  });
  return { recipe, replacedBlob };
}

const bundles = new Map<string, Promise<RecipeBundle>>();

/** A stored recipe's bundle, read once per blob. */
export function recipeBundle(ctx: ServerContext, row: RecipeRow): Promise<RecipeBundle> {
  let b = bundles.get(row.blob);
  if (!b) {
    b = ctx.blobs.get(row.blob).then((bytes) => readRecipe(bytes, `recipe ${row.name}`));
    bundles.set(row.blob, b);
    b.catch(() => bundles.delete(row.blob));
    if (bundles.size > 64) bundles.delete(bundles.keys().next().value!);
  }
  return b;
}

/** An image of the server as a runner reads it. */
export const imageSource = (ctx: ServerContext, sha256: string): ImageSource => ({
  sha256,
  load: () => ctx.image(sha256),
});

/** What to apply: one recipe, or a cascade of the project's recipes. */
export type Plan =
  | { recipe: RecipeRow; classAs?: string }
  | { cascade: CascadeApplyT; rows: Map<number, RecipeRow> };

/** The recipe names a plan writes annotations for (applying again replaces exactly those). */
const planNames = (p: Plan) => ('recipe' in p ? [p.recipe.name] : [...p.rows.values()].map((r) => r.name));

/** Applies a recipe or a cascade to an image and saves the detections as model-made find-all annotations. */
export async function applyToImage(
  ctx: ServerContext,
  image: ImageMeta,
  project: ProjectT,
  plan: Plan,
  by: string,
): Promise<AnnotationT[]> {
  const runner = await projectRunner(ctx, project);
  const src = imageSource(ctx, image.sha256);
  let dets: RecipeDetection[];
  if ('recipe' in plan) {
    const loaded = await prepareRecipe(await recipeBundle(ctx, plan.recipe), runner);
    dets = await applyRecipe(loaded, runner, src, plan.classAs ? { classAs: plan.classAs } : {});
  } else {
    const steps: LoadedCascade['steps'] = [];
    for (const s of plan.cascade.steps) {
      const { recipe, ...rest } = s;
      const row = plan.rows.get(recipe)!;
      steps.push({
        step: { ...rest, recipe: row.name } as CascadeStep,
        bundle: await recipeBundle(ctx, row),
      });
    }
    dets = await applyCascade(
      {
        cascade: {
          steps: steps.map((s) => s.step),
          ...(plan.cascade.dedup ? { dedup: plan.cascade.dedup } : {}),
        },
        steps,
      },
      runner,
      src,
    );
  }
  const labels = project.labels.map((l) => l.name);
  const stray = dets.find((d) => labels.length && !labels.includes(d.className));
  if (stray)
    throw new InvalidArgumentError(
      `Class ${JSON.stringify(stray.className)} is not in the project's label set (${labels.join(', ')}): name it with classAs`,
    );
  return replaceAnnotations(
    ctx.db,
    image.id,
    'find_all',
    dets.map((d) => ({
      imageId: image.id,
      label: d.className,
      mode: 'find_all' as const,
      promptType: 'segment' as const,
      source: 'model' as const,
      bbox: d.bbox,
      rle: d.rle as { size: [number, number]; counts: string },
      score: Math.max(0, Math.min(1, d.score)),
      model: recipeModel(d.recipe),
      by,
    })),
    { source: 'model', promptType: 'segment', models: planNames(plan).map(recipeModel) },
  );
}

/** The project's images with user-made labelled masks, per class: what mining learns from. */
export async function labelledImages(ctx: ServerContext, projectId: number): Promise<LabelledImages> {
  const rows = await userMasks(ctx.db, projectId);
  const images = new Map<number, LabelledImages['images'][number]>();
  for (const r of rows) {
    const rle = JSON.parse(r.rle!) as { size: [number, number]; counts: string };
    if (!rleArea(rle)) continue;
    let img = images.get(r.imageId);
    if (!img) {
      img = {
        id: r.imageId,
        path: imageSource(ctx, r.sha256),
        width: r.width,
        height: r.height,
        instances: new Map(),
      };
      images.set(r.imageId, img);
    }
    const list = img.instances.get(r.label!) ?? [];
    list.push(rle);
    img.instances.set(r.label!, list);
  }
  return { images: [...images.values()] };
}
