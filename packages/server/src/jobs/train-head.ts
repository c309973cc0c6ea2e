// `train-head`: a classifier head from the project's labelled boxes and masks; each epoch's metrics go out as the
// job's progress message (and `progress` events on its stream).
import { trainHead, writeHead } from '@segkit/analytics';
import type { ServerContext } from '../context.js';
import { projectById } from '../repo/projects.js';
import { headDir, projectSamples, storeHead } from '../services/heads.js';
import type { JobHandler } from './runner.js';

export function trainHeadHandler(ctx: ServerContext): JobHandler {
  return async (job, run) => {
    const p = job.params as {
      name: string;
      embedModel?: string;
      val: number;
      balanced: boolean;
      c: number;
      epochs: number;
      seed: number;
    };
    const project = await projectById(ctx.db, job.projectId!);
    const embedModel = ctx.allowModel(p.embedModel ?? ctx.projectModels(project).embed);
    let result: Record<string, unknown> = {};
    await run.item('train', async () => {
      const samples = await projectSamples(ctx, project.id, { val: p.val, seed: p.seed });
      const r = await trainHead(samples, {
        ...(embedModel ? { embedModel } : {}),
        balanced: p.balanced,
        c: p.c,
        epochs: p.epochs,
        seed: p.seed,
        read: (sha) => ctx.blobs.get(sha),
        onEpoch: (m) =>
          run.note(
            `epoch ${m.epoch}: loss ${m.loss.toFixed(4)}, train accuracy ${m.trainAccuracy.toFixed(3)}` +
              (m.valAccuracy === null
                ? ''
                : `, val loss ${m.valLoss!.toFixed(4)}, val accuracy ${m.valAccuracy.toFixed(3)}, val macro-F1 ${m.valMacroF1!.toFixed(3)}`),
            { done: m.epoch, total: p.epochs },
          ),
      });
      await writeHead(headDir(ctx, project.id, p.name), r.head);
      await storeHead(ctx, project.id, p.name); // into the blob store, for every replica and worker
      result = {
        head: p.name,
        labels: r.head.info.labels,
        metrics: { valAccuracy: r.head.info.metrics.valAccuracy, valMacroF1: r.head.info.metrics.valMacroF1 },
        epochs: r.head.info.training.epochs,
        bestEpoch: r.head.info.training.bestEpoch,
        samples: r.head.info.training.samples,
        embeddings: r.embeddings,
      };
    });
    return result;
  };
}
