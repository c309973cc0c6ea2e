// Finding the encoder and decoder files of a SAM pair in a folder.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonInvalidError, ModelMissingError, parseJson } from '@segkit/core';

/**
 * How to feed the encoder, when what the graph declares is not enough (`segkit.json` beside the files):
 * `encoder_input` `hwc` (RGB 0–255 as [H,W,3], longest side 1024; the graph normalises and pads) or `nchw`
 * ([1,3,1024,1024]); `resize` `longest-side` (then zero padding right and below) or `square` (a stretch);
 * `normalize` whether SegKit applies ImageNet mean/std to an `nchw` input.
 */
export interface PairSettings {
  encoder_input?: 'hwc' | 'nchw';
  resize?: 'longest-side' | 'square';
  normalize?: boolean;
}

/** The two ONNX files of a pair, as absolute paths, and the folder's `segkit.json` settings. */
export interface PairFiles {
  encoder: string;
  decoder: string;
  settings: PairSettings;
}

/** Reads and checks `segkit.json`'s encoder settings (E_JSON_INVALID naming a bad value). */
function settingsOf(dir: string): PairSettings {
  const path = join(dir, 'segkit.json');
  if (!existsSync(path)) return {};
  const json = parseJson(readFileSync(path), path) as Record<string, unknown>;
  const allowed: Record<string, unknown[]> = {
    encoder_input: ['hwc', 'nchw'],
    resize: ['longest-side', 'square'],
    normalize: [true, false],
  };
  for (const [key, values] of Object.entries(allowed))
    if (json[key] !== undefined && !values.includes(json[key]))
      throw new JsonInvalidError(
        `${path}: ${key} must be ${values.map((v) => JSON.stringify(v)).join(' or ')}`,
      );
  return json as PairSettings;
}

/** Names given per call (`--encoder-file`, `--decoder-file`), relative to the model folder. */
export interface PairFileNames {
  encoderFile?: string;
  decoderFile?: string;
}

/** The file names a folder declares: `segkit.json` (`encoder_file`, `decoder_file`), else SharpAI's `config.json`. */
function declared(dir: string): PairFileNames {
  for (const [file, enc, dec] of [
    ['segkit.json', 'encoder_file', 'decoder_file'],
    ['config.json', 'encoder_path', 'decoder_path'],
  ] as const) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    const json = parseJson(readFileSync(path), path) as Record<string, unknown>;
    if (typeof json[enc] === 'string' && typeof json[dec] === 'string')
      return { encoderFile: json[enc] as string, decoderFile: json[dec] as string };
  }
  return {};
}

/** The top-level `.onnx` files of a folder. */
export const onnxFilesIn = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.onnx'))
        .sort()
    : [];

/**
 * Finds a pair's files: the names given, else those `segkit.json` or `config.json` declare, else `encoder.onnx` and
 * `decoder.onnx`, else the one `*encoder*.onnx` and the one `*decoder*.onnx` (samexporter's `<name>.encoder.onnx`).
 * Missing or ambiguous files are `E_MODEL_MISSING` naming the expected files and the ones present.
 */
export function findPairFiles(dir: string, given: PairFileNames = {}, label = dir): PairFiles {
  const present = onnxFilesIn(dir);
  const fromFolder = declared(dir);
  const pick = (explicit: string | undefined, folder: string | undefined, fallback: string, part: string) => {
    const name =
      explicit ??
      folder ??
      (present.includes(fallback)
        ? fallback
        : present.filter((f) => f.includes(part)).length === 1
          ? present.find((f) => f.includes(part))
          : undefined);
    return name && existsSync(join(dir, name)) ? join(dir, name) : { missing: name ?? fallback };
  };
  const encoder = pick(given.encoderFile, fromFolder.encoderFile, 'encoder.onnx', 'encoder');
  const decoder = pick(given.decoderFile, fromFolder.decoderFile, 'decoder.onnx', 'decoder');
  if (typeof encoder !== 'string' || typeof decoder !== 'string') {
    const missing = [encoder, decoder].flatMap((f) => (typeof f === 'string' ? [] : [f.missing]));
    throw new ModelMissingError(
      `${label} lacks ${missing.join(' and ')}: a SAM pair needs an encoder and a decoder file (default encoder.onnx and decoder.onnx; name others with --encoder-file/--decoder-file); it has ${present.length ? present.join(', ') : 'no .onnx file'}`,
    );
  }
  return { encoder, decoder, settings: settingsOf(dir) };
}
