// Find-all recipes of a project: list, import (a recipe ZIP, checked before it is stored), export, delete; mine them
// from the project's labelled masks (a `mine-recipes` job with live progress and its report); apply a recipe or a
// cascade of them to one image (model-made find-all annotations named after the recipe; applying again replaces them).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { InvalidArgumentError, TooLargeError } from '@segkit/core';
import { RECIPE_LIMITS } from '@segkit/recipes';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import { malformed, wellFormed } from '../multipart.js';
import { blobInUse, getImage } from '../repo/images.js';
import { getProject, requireWrite } from '../repo/projects.js';
import { deleteRecipe, getRecipe, listRecipes, type RecipeRow } from '../repo/recipes.js';
import {
  Annotation,
  CascadeApply,
  ErrorBody,
  IdParams,
  ImageParams,
  Job,
  RecipeApply,
  RecipeList,
  RecipeMine,
  RecipeSummary,
} from '../schemas.js';
import { openHead } from '../services/heads.js';
import { applyToImage, importRecipe } from '../services/recipes.js';

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  413: ErrorBody,
  422: ErrorBody,
};
const Applied = Type.Object({ annotations: Type.Array(Annotation) });

export const recipeRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.get(
    '/projects/:id/recipes',
    {
      schema: {
        tags: ['recipes'],
        description: "The project's recipes by name, with the figures each reached on its validation split.",
        params: IdParams,
        response: { 200: RecipeList, ...errors },
      },
    },
    async (req) => {
      await getProject(ctx.db, req.caller, req.params.id);
      return { recipes: (await listRecipes(ctx.db, req.params.id)).map((r) => r.summary) };
    },
  );

  app.post(
    '/projects/:id/recipes',
    {
      schema: {
        tags: ['recipes'],
        consumes: ['multipart/form-data'],
        description:
          'Imports a recipe ZIP (multipart, one file). It is checked first (entries, sizes, paths, schema, crops): a bad one is E_RECIPE_INVALID and nothing is stored. A recipe of the same name is replaced.',
        params: IdParams,
        response: { 201: RecipeSummary, ...errors },
      },
    },
    async (req, reply) => {
      await getProject(ctx.db, req.caller, req.params.id);
      requireWrite(req.caller);
      if (!req.isMultipart()) throw new InvalidArgumentError('Upload the recipe ZIP as multipart/form-data');
      let bytes: Buffer | undefined;
      for await (const part of wellFormed(() =>
        req.files({
          limits: { fileSize: Math.min(ctx.limits.fileBytes, RECIPE_LIMITS.maxTotalBytes), files: 2 },
        }),
      )) {
        if (bytes) throw new TooLargeError('Upload one recipe ZIP at a time');
        bytes = await part.toBuffer().catch((e: unknown) => {
          throw malformed(e);
        });
      }
      if (!bytes) throw new InvalidArgumentError('The upload holds no file');
      const { recipe, replacedBlob } = await importRecipe(ctx, req.params.id, bytes, req.caller.name);
      if (replacedBlob && !(await blobInUse(ctx.db, replacedBlob))) await ctx.blobs.delete(replacedBlob);
      return reply.status(201).send(recipe.summary);
    },
  );

  app.get(
    '/recipes/:id/zip',
    {
      schema: {
        tags: ['recipes'],
        description: 'The recipe ZIP, as `segkit recipe apply --recipe` reads it.',
        params: IdParams,
      },
    },
    async (req, reply) => {
      const r = await getRecipe(ctx.db, req.caller, req.params.id);
      const { body, size } = await ctx.blobs.stream(r.blob);
      return reply
        .header('content-type', 'application/zip')
        .header('content-length', size)
        .header('content-disposition', `attachment; filename="${r.name.replace(/[^\w.-]/g, '_')}.zip"`)
        .send(body);
    },
  );

  app.delete(
    '/recipes/:id',
    {
      schema: {
        tags: ['recipes'],
        description: 'Deletes a recipe (the annotations it made stay).',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await getRecipe(ctx.db, req.caller, req.params.id);
      requireWrite(req.caller);
      const blob = await deleteRecipe(ctx.db, req.params.id);
      if (!(await blobInUse(ctx.db, blob))) await ctx.blobs.delete(blob);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/projects/:id/recipes/mine',
    {
      schema: {
        tags: ['recipes'],
        description:
          "Mines a recipe per class from the project's user-made labelled masks (a `mine-recipes` job: its events say each class's stage; its result is the report and the new recipes' ids). Recipes of the same names are replaced.",
        params: IdParams,
        body: RecipeMine,
        response: { 202: Job, ...errors },
      },
    },
    async (req, reply) => {
      const project = await getProject(ctx.db, req.caller, req.params.id);
      requireWrite(req.caller);
      if (req.body.head) await openHead(ctx, project.id, req.body.head);
      const params = { ...req.body, by: req.caller.name };
      return reply.status(202).send(await ctx.jobs.enqueue('mine-recipes', project.id, params, 1));
    },
  );

  /** The recipes a request names, each of the image's project (E_NOT_FOUND otherwise). */
  const recipesOf = async (projectId: number, ids: number[], caller: Parameters<typeof getRecipe>[1]) => {
    const rows = new Map<number, RecipeRow>();
    for (const id of ids) {
      const r = await getRecipe(ctx.db, caller, id);
      if (r.projectId !== projectId)
        throw new InvalidArgumentError(`Recipe ${id} belongs to another project`);
      rows.set(id, r);
    }
    return rows;
  };

  app.post(
    '/images/:imageId/recipes/apply',
    {
      schema: {
        tags: ['recipes'],
        description:
          "Applies a recipe of the image's project with the project's models: its detections become model-made find_all annotations labelled with its class (or `classAs`) and marked `recipe:<name>`. Applying it again replaces them.",
        params: ImageParams,
        body: RecipeApply,
        response: { 200: Applied, ...errors },
      },
    },
    async (req) => {
      const image = await getImage(ctx.db, req.caller, req.params.imageId);
      requireWrite(req.caller);
      const project = await getProject(ctx.db, req.caller, image.projectId);
      const recipe = (await recipesOf(project.id, [req.body.recipe], req.caller)).get(req.body.recipe)!;
      const plan = { recipe, ...(req.body.classAs ? { classAs: req.body.classAs } : {}) };
      return { annotations: await applyToImage(ctx, image, project, plan, req.caller.name) };
    },
  );

  app.post(
    '/images/:imageId/recipes/cascade',
    {
      schema: {
        tags: ['recipes'],
        description:
          "Applies a cascade of the project's recipes (steps with classAs, group, crossClass and stricter thresholds; then de-duplication per class and across classes) and saves the detections as with one recipe.",
        params: ImageParams,
        body: CascadeApply,
        response: { 200: Applied, ...errors },
      },
    },
    async (req) => {
      const image = await getImage(ctx.db, req.caller, req.params.imageId);
      requireWrite(req.caller);
      const project = await getProject(ctx.db, req.caller, image.projectId);
      const rows = await recipesOf(
        project.id,
        req.body.steps.map((s) => s.recipe),
        req.caller,
      );
      return {
        annotations: await applyToImage(ctx, image, project, { cascade: req.body, rows }, req.caller.name),
      };
    },
  );
};
