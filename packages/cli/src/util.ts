import { JsonInvalidError, readInput } from '@segkit/core';

/** Reads a JSON file (or stdin for `-`) and parses it, with `E_JSON_INVALID` on bad JSON. */
export async function readJson(path: string): Promise<unknown> {
  const text = path === '-' ? await readStdin() : (await readInput(path)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new JsonInvalidError(`${path === '-' ? 'stdin' : path} is not valid JSON: ${(e as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Serialises a value as one line of JSON plus a newline. */
export const jsonLine = (v: unknown): string => `${JSON.stringify(v)}\n`;
