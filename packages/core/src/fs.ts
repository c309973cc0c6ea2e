import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, rmSync, statSync } from 'node:fs';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { FileNotFoundError, InvalidArgumentError, JsonInvalidError, WriteError } from './errors.js';

/**
 * Reads a whole input file. A missing path gives `E_FILE_NOT_FOUND`; a directory gives `E_INVALID_ARGUMENT`.
 * @example const bytes = await readInput('mask.png');
 */
export async function readInput(path: string): Promise<Buffer> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new InvalidArgumentError(`${path} is a directory, not a file`);
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new FileNotFoundError(`File not found: ${path}`);
    throw e;
  }
}

/** Temporary files and folders being written right now; an interrupted process removes them (see below). */
const pending = new Set<string>();

/** Marks `path` as a temporary file or folder in progress, until {@link untrackTemp}. */
export function trackTemp(path: string): void {
  pending.add(path);
}

/** Unmarks a temporary path once it has been renamed into place or removed. */
export function untrackTemp(path: string): void {
  pending.delete(path);
}

/** The temporary paths in progress (for tests and diagnostics). */
export function pendingTemps(): string[] {
  return [...pending];
}

/**
 * Removes every temporary file or folder still in progress, synchronously: for a SIGINT/SIGTERM handler, so that
 * Ctrl-C leaves no half-written files behind.
 */
export function removePendingTemps(): void {
  for (const p of pending) rmSync(p, { recursive: true, force: true });
  pending.clear();
}

/**
 * Writes a file atomically: the bytes go to a temporary file beside the target, which is then renamed over it.
 * A reader never sees a half-written file, and a failed or interrupted write leaves nothing behind.
 * @example await writeFileAtomic('out/mask.png', pngBytes);
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  trackTemp(tmp);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'its directory does not exist' : (err.code ?? err.message);
    throw new WriteError(`Cannot write ${path}: ${why}`, { cause: e });
  } finally {
    untrackTemp(tmp);
  }
}

/** Magic numbers of binary files people pass by mistake where JSON or text is expected. */
const MAGIC: [string, number[]][] = [
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['a ZIP archive', [0x50, 0x4b, 0x03, 0x04]],
  ['a TIFF image', [0x49, 0x49, 0x2a, 0x00]],
  ['a TIFF image', [0x4d, 0x4d, 0x00, 0x2a]],
  ['a NumPy .npy array', [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]],
];

/** What a binary file is ("a PNG image", …), or undefined for text. Never echoes the bytes. */
export function describeBinary(bytes: Uint8Array): string | undefined {
  for (const [what, magic] of MAGIC) if (magic.every((b, i) => bytes[i] === b)) return what;
  if (bytes.length >= 12 && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP') return 'a WebP image';
  return bytes.subarray(0, 4096).includes(0) ? 'a binary file' : undefined;
}

/**
 * Parses JSON read from `name`, with `E_JSON_INVALID` naming the line and column of the problem, or what the file
 * is when it is binary (an image, an archive): the message never echoes the file's bytes.
 */
export function parseJson(data: Uint8Array | string, name: string): unknown {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const binary = describeBinary(bytes);
  if (binary) throw new JsonInvalidError(`${name} is ${binary}, not JSON`);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    if (!text.trim()) throw new JsonInvalidError(`${name} is empty, not JSON`);
    const before = text.slice(0, jsonErrorOffset(text));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    throw new JsonInvalidError(`${name} is not valid JSON (line ${line}, column ${column})`);
  }
}

/** Where JSON.parse gives up on `text`: a small recursive-descent scan (V8's messages do not always say). */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    if (!text.startsWith(word, i)) fail();
    i += word.length;
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') fail();
          string();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) return void i++;
        else fail();
      }
    }
    const words: Record<string, string> = { t: 'true', f: 'false', n: 'null' };
    if (c === '"') string();
    else if (c !== undefined && words[c]) literal(words[c]);
    else {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (!m) fail();
      i += m![0].length;
    }
  };
  try {
    value();
    ws();
    return i;
  } catch (at) {
    return typeof at === 'number' ? at : 0;
  }
}

/**
 * Reads and parses a JSON file: `E_FILE_NOT_FOUND` when it is missing, `E_JSON_INVALID` when it is not JSON.
 * @example const prompts = await readJsonFile('prompts.json');
 */
export async function readJsonFile(path: string): Promise<unknown> {
  return parseJson(await readInput(path), path);
}

/**
 * Checks, before any work, that each output can be written: a file's folder must exist and be writable and the path
 * must not be a folder; a folder output may be created (its nearest existing parent must be a writable folder).
 * Throws `E_WRITE` naming the first path that cannot be written, so a command writes all of its outputs or none.
 */
export function checkOutputs(outputs: {
  files?: (string | undefined)[];
  dirs?: (string | undefined)[];
}): void {
  const fail = (path: string, why: string) => {
    throw new WriteError(`Cannot write ${path}: ${why}`);
  };
  const writableDir = (dir: string, path: string) => {
    if (!existsSync(dir)) return fail(path, `its folder ${dir} does not exist`);
    if (!statSync(dir).isDirectory()) return fail(path, `${dir} is a file, not a folder`);
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      fail(path, `the folder ${dir} is not writable`);
    }
  };
  const made = (outputs.dirs ?? []).filter((d): d is string => d !== undefined).map((d) => resolve(d));
  for (const f of outputs.files ?? []) {
    if (f === undefined || f === '-') continue;
    if (existsSync(f) && statSync(f).isDirectory()) fail(f, 'it is a folder');
    const dir = dirname(resolve(f));
    // A file inside an output folder that the command creates is covered by that folder's check.
    if (made.some((d) => dir === d || dir.startsWith(`${d}${sep}`))) continue;
    writableDir(dir, f);
  }
  for (const d of outputs.dirs ?? []) {
    if (d === undefined) continue;
    let cur = resolve(d);
    if (existsSync(cur) && !statSync(cur).isDirectory()) fail(d, 'it is a file, not a folder');
    while (!existsSync(cur) && dirname(cur) !== cur) cur = dirname(cur);
    writableDir(cur, d);
  }
}
