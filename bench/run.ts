// `npm run bench`: runs every benchmark suite and prints medians. Benchmarks are never timed tests.

import { analyticsTargets, runAnalyticsBench } from './analytics.bench.js';
import { apTargets, runApBench } from './ap.bench.js';
import { coreTargets, runCoreBench } from './core.bench.js';
import { datasetTargets, runDatasetBench } from './datasets.bench.js';
import { printTable } from './harness.js';
import { headsTargets, runHeadsBench } from './heads.bench.js';
import { runPycocotoolsComparison } from './pycocotools.bench.js';
import { recipesTargets, runRecipesBench } from './recipes.bench.js';
import { runSam3Bench, sam3Targets } from './sam3.bench.js';
import { runScatterBench, scatterTargets } from './scatter.bench.js';
import { runSegmentBench, segmentTargets } from './segment.bench.js';
import { runServerBench, serverTargets } from './server.bench.js';
import { runTeamBench, teamTargets } from './team.bench.js';
import { runTrainTextBench, trainTextTargets } from './train-text.bench.js';
import { runWebBench, webTargets } from './web.bench.js';

// `npm run bench -- web server`: only the named suites (core, segment, sam3, datasets, analytics, scatter, ap,
// train-text, heads, recipes, server, team, web).
const only = process.argv.slice(2);
const wanted = (suite: string) => only.length === 0 || only.includes(suite);
console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
if (wanted('core')) {
  printTable('@segkit/core (median of repeated runs, ms)', await runCoreBench(), coreTargets);
  for (const n of await runPycocotoolsComparison()) console.log(n);
}
if (wanted('segment')) {
  const seg = await runSegmentBench();
  printTable('promptable segmentation, fixture SAM (median, ms)', seg.results, segmentTargets);
  for (const n of seg.notes) console.log(n);
}
if (wanted('sam3')) {
  const s3 = await runSam3Bench();
  printTable('SAM 3: SegKit around the graphs (median, ms)', s3.results, sam3Targets);
  for (const n of s3.notes) console.log(n);
}
if (wanted('datasets')) {
  const ds = await runDatasetBench();
  printTable('datasets and evaluation (single timed run each, ms)', ds.results, datasetTargets);
  for (const n of ds.notes) console.log(n);
}
if (wanted('analytics')) {
  const an = await runAnalyticsBench();
  printTable(
    'analytics: UMAP + HDBSCAN on CLIP-like 512-d vectors (single timed run each, ms)',
    an.results,
    analyticsTargets,
  );
  for (const n of an.notes) console.log(n);
}
if (wanted('scatter')) {
  const sc = await runScatterBench();
  printTable('analytics: the scatter of a 100k-mask run (median, ms)', sc.results, scatterTargets);
  for (const n of sc.notes) console.log(n);
}
if (wanted('ap')) {
  const ap = await runApBench();
  printTable('COCO AP at scale (single timed run each, ms)', ap.results, apTargets);
  for (const n of ap.notes) console.log(n);
}
if (wanted('train-text')) {
  const tt = await runTrainTextBench();
  printTable('CLIPSeg decoder training (median of 3 batches, ms per image)', tt.results, trainTextTargets);
  for (const n of tt.notes) console.log(n);
}
if (wanted('heads')) {
  const heads = await runHeadsBench();
  printTable('classifier heads (median, ms)', heads.results, headsTargets);
  for (const n of heads.notes) console.log(n);
}
if (wanted('recipes')) {
  const rc = await runRecipesBench();
  printTable('recipes, fixture SAM 3 + CLIP (ms)', rc.results, recipesTargets);
  for (const n of rc.notes) console.log(n);
}
if (wanted('server')) {
  const srv = await runServerBench();
  printTable('server (ms)', srv.results, serverTargets);
  for (const n of srv.notes) console.log(n);
}
if (wanted('team')) {
  const team = await runTeamBench();
  printTable('team set-up: PostgreSQL, Redis, S3, replicas and workers (ms)', team.results, teamTargets);
  for (const n of team.notes) console.log(n);
}
if (wanted('web')) {
  const web = await runWebBench();
  printTable('browser app, chromium (ms)', web.results, webTargets);
  for (const n of web.notes) console.log(n);
}
