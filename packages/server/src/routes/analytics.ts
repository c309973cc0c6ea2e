// The newest mask-analytics run of a project (from its `analyze` job) as scatter points, and labelling its masks:
// a lasso over a cluster turns every selected mask into an annotation of one label.
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { zipImageMasks } from '@segkit/analytics';
import { InvalidArgumentError, maskToRle, NotFoundError, readMask, rleBbox, rleIou } from '@segkit/core';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import { workDir } from '../maintenance.js';
import {
  getAnnotationRow,
  insertAnnotations,
  listAnnotations,
  updateAnnotation,
} from '../repo/annotations.js';
import { getProject, requireWrite } from '../repo/projects.js';
import {
  AnalyticsLabel,
  AnalyticsMask,
  AnalyticsRun,
  type AnnotationT,
  ErrorBody,
  IdParams,
} from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

interface MaskRow {
  id: string;
  image: string;
  bbox: [number, number, number, number];
  area: number;
  mask_umap: [number, number] | null;
  mask_cluster: number | null;
}
/** mask id → the annotation a lasso made of it, kept beside the run. */
type Labels = Record<string, { annotationId: number; label: string }>;

/** The newest complete run of a project, or undefined. */
async function newestRun(ctx: ServerContext, projectId: number): Promise<string | undefined> {
  const root = join(ctx.dataDir, 'runs', `project-${projectId}`, 'runs');
  if (!existsSync(root)) return undefined;
  const runs = [];
  for (const name of await readdir(root)) {
    const dir = join(root, name);
    if (!existsSync(join(dir, 'masks.jsonl'))) continue;
    runs.push({ dir, mtime: (await stat(join(dir, 'masks.jsonl'))).mtimeMs });
  }
  return runs.sort((a, b) => b.mtime - a.mtime)[0]?.dir;
}

async function readRun(dir: string): Promise<{ rows: MaskRow[]; labels: Labels }> {
  const text = await readFile(join(dir, 'masks.jsonl'), 'utf8');
  const rows = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MaskRow);
  const file = join(dir, 'labels.json');
  const labels = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as Labels) : {};
  return { rows, labels };
}

/** The analyze job copies image `id` to `<id>-<file name>`. */
const imageIdOf = (path: string) => {
  const m = /^(\d+)-/.exec(basename(path));
  return m ? Number(m[1]) : null;
};

export const analyticsRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.get(
    '/projects/:id/analytics',
    {
      schema: {
        tags: ['jobs'],
        description:
          'The newest analyze run of the project: one point per mask (its UMAP position, HDBSCAN cluster, image, box) and the label a lasso gave it. `run: null` before the first analyze job.',
        params: IdParams,
        response: { 200: AnalyticsRun, ...errors },
      },
    },
    async (req) => {
      await getProject(ctx.db, req.caller, req.params.id);
      const dir = await newestRun(ctx, req.params.id);
      if (!dir) return { run: null, points: [] };
      const { rows, labels } = await readRun(dir);
      const points = rows.map((r) => ({
        id: r.id,
        imageId: imageIdOf(r.image),
        x: r.mask_umap?.[0] ?? 0,
        y: r.mask_umap?.[1] ?? 0,
        cluster: r.mask_cluster ?? -1,
        area: r.area,
        bbox: r.bbox,
        label: labels[r.id]?.label ?? null,
        annotationId: labels[r.id]?.annotationId ?? null,
      }));
      return {
        run: {
          name: basename(dir),
          masks: rows.length,
          clusters: new Set(points.map((p) => p.cluster).filter((c) => c >= 0)).size,
        },
        points,
      };
    },
  );

  const runOf = async (caller: Parameters<typeof getProject>[1], projectId: number) => {
    await getProject(ctx.db, caller, projectId);
    const dir = await newestRun(ctx, projectId);
    if (!dir) throw new InvalidArgumentError('The project has no analyze run yet; start one first');
    return dir;
  };

  app.get(
    '/projects/:id/analytics/mask',
    {
      schema: {
        tags: ['jobs'],
        description: 'One mask of the newest run, as COCO RLE, with its image.',
        params: IdParams,
        querystring: Type.Object({
          id: Type.String({ minLength: 3, maxLength: 300, pattern: '^[^/]+/[0-9]+$' }),
        }),
        response: { 200: AnalyticsMask, ...errors },
      },
    },
    async (req) => {
      const dir = await runOf(req.caller, req.params.id);
      const { rows } = await readRun(dir);
      const row = rows.find((r) => r.id === req.query.id);
      if (!row) throw new NotFoundError(`No mask ${req.query.id} in run ${basename(dir)}`);
      const [stem, k] = row.id.split('/');
      const rle = maskToRle(await readMask(join(dir, 'masks', stem!, `${k}.png`))) as {
        size: [number, number];
        counts: string;
      };
      return { id: row.id, imageId: imageIdOf(row.image), rle };
    },
  );

  app.get(
    '/projects/:id/analytics/zip',
    {
      schema: {
        tags: ['jobs'],
        description:
          "A ZIP of one image's masks in the newest run (PNG per mask, and their rows of masks.jsonl).",
        params: IdParams,
        querystring: Type.Object({ imageId: Type.Integer({ minimum: 1 }) }),
      },
    },
    async (req, reply) => {
      const dir = await runOf(req.caller, req.params.id);
      const { rows } = await readRun(dir);
      const row = rows.find((r) => imageIdOf(r.image) === req.query.imageId);
      if (!row) throw new NotFoundError(`Image ${req.query.imageId} has no masks in run ${basename(dir)}`);
      const tmp = await workDir(ctx.dataDir);
      try {
        const out = join(tmp, 'masks.zip');
        await zipImageMasks(dir, row.image, out);
        const stem = basename(row.image).replace(/\.[^.]+$/, '');
        return reply
          .header('content-type', 'application/zip')
          .header('content-disposition', `attachment; filename="${stem.replace(/[^\w.-]/g, '_')}-masks.zip"`)
          .send(await readFile(out));
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },
  );

  app.post(
    '/projects/:id/analytics/label',
    {
      schema: {
        tags: ['jobs'],
        description:
          'Gives every listed mask of the newest run one label. A mask that matches an `inside_box` annotation of its image (IoU ≥ 0.9, such as the annotation it came from, or one a lasso made before) relabels that annotation; any other becomes a new model-made annotation. `created` and `relabelled` count each.',
        params: IdParams,
        body: AnalyticsLabel,
      },
    },
    async (req) => {
      requireWrite(req.caller);
      const dir = await runOf(req.caller, req.params.id);
      const { rows, labels } = await readRun(dir);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const unknown = req.body.ids.filter((id) => !byId.has(id));
      if (unknown.length)
        throw new InvalidArgumentError(
          `Not masks of run ${basename(dir)}: ${unknown.slice(0, 5).join(', ')}`,
        );
      const annotationIds: number[] = [];
      let relabelled = 0;
      // Each image's inside-box segment annotations, read once per request and kept current as this loop changes
      // them (a lasso holds many masks of one image).
      const known = new Map<number, AnnotationT[]>();
      const annotationsOf = async (imageId: number) => {
        let list = known.get(imageId);
        if (!list) {
          list = await listAnnotations(ctx.db, imageId, { mode: 'inside_box', promptType: 'segment' });
          known.set(imageId, list);
        }
        return list;
      };
      const remember = (a: AnnotationT) => {
        const list = known.get(a.imageId);
        if (!list || a.mode !== 'inside_box' || a.promptType !== 'segment') return;
        const at = list.findIndex((x) => x.id === a.id);
        if (at >= 0) list[at] = a;
        else list.push(a);
      };
      const relabel = async (annotation: { id: number; version: number }) => {
        const a = await updateAnnotation(
          ctx.db,
          annotation.id,
          annotation.version,
          { label: req.body.label },
          req.caller.name,
        );
        remember(a);
        relabelled++;
        annotationIds.push(a.id);
        return a;
      };
      for (const id of req.body.ids) {
        const row = byId.get(id)!;
        const imageId = imageIdOf(row.image);
        if (imageId === null) continue;
        const before = labels[id];
        const existing =
          before && (await getAnnotationRow(ctx.db, before.annotationId).catch(() => undefined));
        if (existing) {
          const a = await relabel(existing);
          labels[id] = { annotationId: a.id, label: req.body.label };
          continue;
        }
        const [stem, k] = id.split('/');
        const rle = maskToRle(await readMask(join(dir, 'masks', stem!, `${k}.png`))) as {
          size: [number, number];
          counts: string;
        };
        // The mask is already an annotation of the image (it was segmented there, or labelled by hand): relabel
        // that one rather than add a duplicate over it.
        const same = (await annotationsOf(imageId))
          .filter((x) => x.rle && x.rle.size[0] === rle.size[0] && x.rle.size[1] === rle.size[1])
          .map((x) => ({ x, iou: rleIou(x.rle!, rle) }))
          .filter((m) => m.iou >= 0.9)
          .sort((a, b) => b.iou - a.iou)[0];
        if (same) {
          const a = await relabel(same.x);
          labels[id] = { annotationId: a.id, label: req.body.label };
          continue;
        }
        const [a] = await insertAnnotations(ctx.db, [
          {
            imageId,
            label: req.body.label,
            mode: 'inside_box',
            promptType: 'segment',
            source: 'model',
            bbox: rleBbox(rle),
            rle,
            score: null,
            model: 'analytics',
            by: req.caller.name,
          },
        ]);
        remember(a!);
        labels[id] = { annotationId: a!.id, label: req.body.label };
        annotationIds.push(a!.id);
      }
      const tmp = join(dir, `.labels-${process.pid}.json`);
      await writeFile(tmp, JSON.stringify(labels));
      await rename(tmp, join(dir, 'labels.json'));
      return {
        labelled: annotationIds.length,
        created: annotationIds.length - relabelled,
        relabelled,
        annotationIds,
      };
    },
  );
};
