// Every kind of job a worker runs, by name.
import type { ServerContext } from '../context.js';
import { pullHandler } from '../routes/models.js';
import { analyzeHandler, buildSegHandler, textBatchHandler } from './batch.js';
import { mineRecipesHandler } from './mine-recipes.js';
import { processHandler } from './process.js';
import type { JobHandler } from './runner.js';
import { trainHeadHandler } from './train-head.js';
import { trainTextHandler } from './train-text.js';
import { exportHandler, importHandler } from './transfer.js';

export function jobHandlers(ctx: ServerContext): Record<string, JobHandler> {
  return {
    process: processHandler(ctx),
    pull: pullHandler,
    export: exportHandler(ctx),
    import: importHandler(ctx),
    'text-batch': textBatchHandler(ctx),
    'build-seg': buildSegHandler(ctx),
    analyze: analyzeHandler(ctx),
    'train-head': trainHeadHandler(ctx),
    'mine-recipes': mineRecipesHandler(ctx),
    'train-text': trainTextHandler(ctx),
  };
}
