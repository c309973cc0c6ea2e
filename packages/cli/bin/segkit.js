#!/usr/bin/env node
import { exitCleanlyOnSignals, processIo, runCli } from '../dist/main.js';

exitCleanlyOnSignals();
const code = await runCli(process.argv.slice(2), processIo);
// Let stdout drain before leaving, so piped JSON is never cut short.
process.exitCode = code;
