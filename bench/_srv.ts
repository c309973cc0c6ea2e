import { printTable } from './harness.js';
import { runServerBench, serverTargets } from './server.bench.js';

const srv = await runServerBench();
printTable('server (ms)', srv.results, serverTargets);
for (const n of srv.notes) console.log(n);
