// `npm run bench`: runs every benchmark suite and prints medians. Benchmarks are never timed tests.
import { coreTargets, runCoreBench } from './core.bench.js';
import { printTable } from './harness.js';

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
printTable('@segkit/core (median of repeated runs, ms)', await runCoreBench(), coreTargets);
