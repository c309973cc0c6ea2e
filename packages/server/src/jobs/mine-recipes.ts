// `mine-recipes`: a recipe per class from the project's user-made labelled masks; each class's stage goes out as the
// job's progress message (and `progress` events), the recipes are stored (a recipe of the same name is replaced), and
// the job's result is the mining report with the new recipes' ids.
import { encodeRecipe, mineRecipes } from '@segkit/recipes';
import type { ServerContext } from '../context.js';
import { blobInUse } from '../repo/images.js';
import { projectById } from '../repo/projects.js';
import type { RecipeMineT } from '../schemas.js';
import { localHead } from '../services/heads.js';
import { importRecipe, labelledImages, projectRunner } from '../services/recipes.js';
import type { JobHandler } from './runner.js';

export function mineRecipesHandler(ctx: ServerContext): JobHandler {
  return async (job, run) => {
    const p = job.params as RecipeMineT & { by: string };
    const project = await projectById(ctx.db, job.projectId!);
    let result: Record<string, unknown> = {};
    await run.item('mine', async () => {
      const runner = await projectRunner(ctx, project);
      const mined = await mineRecipes(await labelledImages(ctx, project.id), {
        models: runner.models,
        ...(p.classes ? { classes: p.classes } : {}),
        val: p.val ?? 0.2,
        seed: p.seed ?? 42,
        ...(p.prompts ? { prompts: p.prompts } : {}),
        ...(p.head ? { head: await localHead(ctx, project.id, p.head) } : {}),
        mode: p.mode ?? 'greedy',
        targetPrecision: p.targetPrecision ?? 0.9,
        iou: p.iou ?? 0.5,
        onProgress: (e) => {
          const step = e.stage === 'done' || e.stage === 'tuning' ? '' : ` ${e.done}/${e.total}`;
          void run.note(`${e.className} (${e.classIndex + 1}/${e.classes}): ${e.stage}${step}`, {
            done: e.classIndex + (e.stage === 'done' ? 1 : 0),
            total: e.classes,
          });
        },
      });
      const recipes: Record<string, number> = {};
      for (const [name, bundle] of mined.bundles) {
        const { recipe, replacedBlob } = await importRecipe(ctx, project.id, encodeRecipe(bundle), p.by);
        recipes[name] = recipe.id;
        if (replacedBlob && !(await blobInUse(ctx.db, replacedBlob))) await ctx.blobs.delete(replacedBlob);
      }
      result = { recipes, report: mined.report };
    });
    return result;
  };
}
