// Classifier heads: training time on 10,000 embeddings × 512 dimensions × 20 classes (synthetic, L2-normalised like
// CLIP's, with a validation set for early stopping), and the time to rank a head's labels for one box after its
// embedding.

import { trainSoftmax } from '../packages/analytics/src/heads/softmax.js';
import { predictWithHead } from '../packages/analytics/src/heads/train.js';
import { gaussianClasses } from '../packages/analytics/test/helpers/gaussian-classes.js';
import { type BenchResult, bench } from './harness.js';

export async function runHeadsBench(): Promise<{ results: BenchResult[]; notes: string[] }> {
  const make = gaussianClasses({ classes: 20, dim: 512, spread: 4, seed: 1 });
  const train = make(10_000);
  const val = make(2_000);
  const notes: string[] = [];
  let last: Awaited<ReturnType<typeof trainSoftmax>> | undefined;
  const training = await bench(
    'train head: 10,000 × 512-d × 20 classes',
    async () => {
      last = await trainSoftmax(train.x, train.y, { classes: 20, val });
    },
    { runs: 3, warmup: 0 },
  );
  const best = last!.history.find((h) => h.epoch === last!.bestEpoch)!;
  notes.push(
    `heads: ${last!.history.length} epochs (best ${last!.bestEpoch}), val accuracy ${best.valAccuracy!.toFixed(3)}`,
  );
  const head = {
    info: { labels: Array.from({ length: 20 }, (_, k) => `c${k}`), dim: 512, training: { temperature: 1 } },
    model: last!.model,
  } as Parameters<typeof predictWithHead>[0];
  const one = [val.x.data.slice(0, 512)];
  const predict = await bench(
    'rank 20 labels for one box (after its embedding)',
    () => predictWithHead(head, one),
    {
      runs: 200,
      warmup: 20,
    },
  );
  return { results: [training, predict], notes };
}

export const headsTargets: Record<string, number> = { 'train head: 10,000 × 512-d × 20 classes': 10_000 };
