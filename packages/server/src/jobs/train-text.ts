// `train-text`: fine-tunes a CLIPSeg decoder on the project's labelled masks (`segkit text train`); each epoch's
// loss, val mIoU and best threshold go out as the job's progress message (and `progress` events on its stream).
import { rm } from 'node:fs/promises';
import { InvalidArgumentError } from '@segkit/core';
import { trainText } from '@segkit/datasets';
import type { ServerContext } from '../context.js';
import { workDir } from '../maintenance.js';
import { projectById } from '../repo/projects.js';
import {
  projectManifest,
  resolveTextModel,
  storeTextModel,
  textModelDir,
  textModelRef,
} from '../services/text-models.js';
import type { JobHandler } from './runner.js';

export interface TrainTextParams {
  name: string;
  prompts: Record<string, string[]>;
  model?: string;
  epochs: number;
  lr?: number;
  batch: number;
  val: number;
  seed: number;
  freezeReduces: boolean;
  q8?: boolean;
}

export function trainTextHandler(ctx: ServerContext): JobHandler {
  return async (job, run) => {
    const p = job.params as unknown as TrainTextParams;
    const project = await projectById(ctx.db, job.projectId!);
    const model = await resolveTextModel(ctx, project.id, p.model ?? ctx.projectModels(project).text);
    const out = textModelDir(ctx, project.id, p.name);
    let result: Record<string, unknown> = {};
    await run.item('train', async () => {
      const work = await workDir(ctx.dataDir);
      try {
        const data = await projectManifest(ctx, project.id, work, { val: p.val, seed: p.seed });
        const missing = Object.keys(p.prompts).filter((l) => !data.labels.includes(l));
        if (missing.length === Object.keys(p.prompts).length)
          throw new InvalidArgumentError(
            `No labelled mask of ${missing.join(', ')} in this project (its labels: ${data.labels.join(', ') || 'none'})`,
          );
        await rm(out, { recursive: true, force: true });
        const r = await trainText(data.manifest, p.prompts, out, {
          ...(model ? { model } : {}),
          epochs: p.epochs,
          ...(p.lr ? { lr: p.lr } : {}),
          batch: p.batch,
          seed: p.seed,
          freezeReduces: p.freezeReduces,
          q8: p.q8 === true,
          // The decoder computes on worker threads, so the server answers requests while a job trains.
          offload: true,
          cacheDir: `${ctx.dataDir}/cache/clipseg-features`,
          onEpoch: (e) =>
            void run.note(
              `epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)}, val mIoU ${e.miou.toFixed(3)} at 0.5, ` +
                `${e.bestMiou.toFixed(3)} at ${e.bestThreshold.toFixed(1)}`,
              { done: e.epoch, total: p.epochs },
            ),
        });
        // Kept in the blob store, so that every replica and worker can load it by its name.
        await storeTextModel(ctx, project.id, p.name, out);
        result = {
          model: p.name,
          ref: textModelRef(p.name),
          path: out,
          images: data.images,
          best: r.best,
          history: r.history,
          backbonePasses: r.backbonePasses,
        };
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    });
    return result;
  };
}
