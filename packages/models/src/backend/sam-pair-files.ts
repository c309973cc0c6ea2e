// Finding the encoder and decoder files of a SAM pair in a folder.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelMissingError, parseJson } from '@segkit/core';

/** The two ONNX files of a pair, as absolute paths. */
export interface PairFiles {
  encoder: string;
  decoder: string;
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
  return { encoder, decoder };
}
