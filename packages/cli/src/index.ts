/**
 * `@segkit/cli`: the `segkit` command line. `runCli(argv)` runs it in-process.
 * @packageDocumentation
 */
export { type Command, defineCommand, type Io } from './command.js';
export { processIo, runCli } from './main.js';
