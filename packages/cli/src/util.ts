import { parseJson, readJsonFile } from '@segkit/core';
import type { Io, OptionSpec, OptionValues } from './types.js';

/** Reads a JSON file (or stdin for `-`) and parses it, with `E_JSON_INVALID` on bad JSON. */
export async function readJson(path: string): Promise<unknown> {
  return path === '-' ? parseJson(await readStdin(), 'stdin') : readJsonFile(path);
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Serialises a value as one line of JSON plus a newline. */
export const jsonLine = (v: unknown): string => `${JSON.stringify(v)}\n`;

/** The `--json` option, the same in every command that has a result to report. */
export const jsonOption = {
  json: { type: 'boolean', description: 'Print the result as one line of JSON on stdout' },
} as const satisfies Record<string, OptionSpec>;

/**
 * Reports a command's result: one JSON line on stdout with `--json`, otherwise the human-readable text.
 * Notes and progress always go to stderr, so stdout stays machine-readable with `--json`.
 */
export function printResult(io: Io, options: OptionValues, value: unknown, human: () => string): void {
  io.stdout(options.json ? jsonLine(value) : human());
}

/**
 * Replaces the CLI's immediate stop on SIGINT/SIGTERM with a graceful one for a long-running command: `close()` (stop
 * taking work, finish what is in flight), then exit 130 (SIGINT) or 143 (SIGTERM).
 */
export function stopGracefully(io: Io, what: string, close: () => Promise<void>): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    // The new handler goes in before the old ones come out, so the signal's watcher stays open throughout: a signal
    // that arrived just before (and waits in it) reaches the new handler instead of being dropped with the old one.
    const before = process.listeners(signal);
    process.once(signal, async () => {
      io.stderr(`segkit: ${signal}: stopping ${what}\n`);
      await close();
      process.exit(code);
    });
    for (const l of before) process.removeListener(signal, l);
  }
}
