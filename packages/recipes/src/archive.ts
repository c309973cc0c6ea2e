// A recipe as a portable ZIP: recipe.json, crops/*.png and, for a head filter, head/{head.json,weights.npy,bias.npy}.
// Reading one checks everything before it is used: the entries allowed and their sizes, no path leaving the archive,
// the schema, names and numbers of recipe.json, that every crop it names is there and decodes, and the head files.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import {
  encodeZip,
  extractZip,
  isSegkitError,
  loadImage,
  RecipeInvalidError,
  writeFileAtomic,
} from '@segkit/core';
import { RECIPE_SCHEMA_VERSION, type Recipe, type RecipeBundle } from './types.js';

/** Most bytes a recipe ZIP may unpack to, and most entries. */
export const RECIPE_LIMITS = { maxTotalBytes: 64 * 2 ** 20, maxEntries: 300 };
const CROP = /^crops\/[a-z0-9][a-z0-9._-]{0,63}\.png$/;
const HEAD = /^head\/(head\.json|weights\.npy|bias\.npy)$/;
/** A class or recipe name: 1–100 characters, one line, no control characters or path separators. */
const isName = (s: string) =>
  s.length >= 1 &&
  s.length <= 100 &&
  ![...s].some((ch) => ch.charCodeAt(0) < 32 || ch === '/' || ch === '\\');

/** The ZIP bytes of a recipe. */
export function encodeRecipe(b: RecipeBundle): Buffer {
  return encodeZip([
    { name: 'recipe.json', data: Buffer.from(`${JSON.stringify(b.recipe, null, 2)}\n`) },
    ...[...b.crops].map(([name, data]) => ({ name: `crops/${name}`, data, compress: false })),
    ...[...b.head].map(([name, data]) => ({ name: `head/${name}`, data })),
  ]);
}

/** Writes a recipe ZIP atomically. */
export async function writeRecipe(path: string, b: RecipeBundle): Promise<void> {
  await writeFileAtomic(path, encodeRecipe(b));
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const bad = (what: string, why: string) => new RecipeInvalidError(`${what}: ${why}`);

/** Checks recipe.json's shape, names and numbers. */
export function checkRecipe(r: unknown, what: string): Recipe {
  const o = r as Recipe;
  if (!o || typeof o !== 'object') throw bad(what, 'recipe.json is not an object');
  if (o.schemaVersion !== RECIPE_SCHEMA_VERSION)
    throw bad(
      what,
      `recipe.json has schemaVersion ${JSON.stringify(o.schemaVersion)}; this SegKit reads ${RECIPE_SCHEMA_VERSION}`,
    );
  for (const k of ['name', 'className'] as const)
    if (typeof o[k] !== 'string' || !isName(o[k]))
      throw bad(what, `recipe.json's ${k} must be a one-line name of 1–100 characters`);
  if (o.mode !== 'greedy' && o.mode !== 'steps')
    throw bad(what, 'recipe.json\'s mode must be "greedy" or "steps"');
  const texts = (xs: unknown) =>
    Array.isArray(xs) && xs.every((t) => typeof t === 'string' && t.trim() && t.length <= 300);
  if (!texts(o.prompts) || !Array.isArray(o.steps) || !texts(o.steps.map((s) => s?.text)))
    throw bad(what, "recipe.json's prompts and steps must be lists of texts");
  if (
    o.steps.some(
      (s) => !Number.isInteger(s.seeds) || s.seeds < 1 || s.seeds > 50 || typeof s.expand !== 'boolean',
    )
  )
    throw bad(what, 'each step needs seeds (1–50) and expand (true or false)');
  if (!o.models?.embed || typeof o.models.embed.id !== 'string' || typeof o.models.embed.ref !== 'string')
    throw bad(what, 'recipe.json names no embedding model (models.embed)');
  if (o.models.backend !== 'sam3' && o.models.backend !== 'pipeline')
    throw bad(what, 'recipe.json\'s models.backend must be "sam3" or "pipeline"');
  const sc = (o.scores ?? {}) as unknown as Record<string, unknown>;
  const counts = ['images', 'gt', 'detections', 'matched', 'falsePositives', 'duplicates'];
  const rates = ['coverage', 'precision', 'detectionRate', 'ap'];
  if (
    !counts.every((k) => Number.isInteger(sc[k]) && (sc[k] as number) >= 0) ||
    !rates.every((k) => typeof sc[k] === 'number' && (sc[k] as number) >= 0 && (sc[k] as number) <= 1)
  )
    throw bad(what, "recipe.json's scores must hold counts (whole numbers) and rates between 0 and 1");
  if (!o.crops || !Array.isArray(o.crops.positives) || !Array.isArray(o.crops.negatives))
    throw bad(what, 'recipe.json lists no crops');
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const f = o.filter;
  if (f !== null) {
    const ok =
      f?.kind === 'crops'
        ? num(f.minPositive) && num(f.maxNegative)
        : f?.kind === 'head' && num(f.minProbability) && num(f.minMargin) && typeof f.label === 'string';
    if (!ok)
      throw bad(
        what,
        "recipe.json's filter must be null, a crop bank or a head gate with numeric thresholds",
      );
  }
  if (!(num(o.dedupIou) && o.dedupIou > 0 && o.dedupIou <= 1))
    throw bad(what, "recipe.json's dedupIou must be in (0, 1]");
  return o;
}

/**
 * Reads and checks a recipe ZIP (a path or its bytes). Anything wrong is E_RECIPE_INVALID (E_UNSAFE_PATH or
 * E_ARCHIVE_UNSAFE for an entry that leaves the archive, a link or a bomb), naming what.
 */
export async function readRecipe(
  source: string | Uint8Array,
  what = typeof source === 'string' ? source : 'the recipe',
): Promise<RecipeBundle> {
  const tmp = mkdtempSync(join(tmpdir(), 'segkit-recipe-'));
  try {
    let zipPath = source as string;
    if (typeof source !== 'string') {
      zipPath = join(tmp, 'in.zip');
      await writeFileAtomic(zipPath, source);
    }
    const out = join(tmp, 'x');
    try {
      await extractZip(zipPath, out, RECIPE_LIMITS);
    } catch (e) {
      if (isSegkitError(e) && e.code !== 'E_DATASET_FORMAT') throw e; // unsafe entries keep their own code
      throw bad(what, `not a readable ZIP (${(e as Error).message.split('\n')[0]})`);
    }
    const names = files(out).map((f) => relative(out, f).split(sep).join('/'));
    const stray = names.find((n) => n !== 'recipe.json' && !CROP.test(n) && !HEAD.test(n));
    if (stray)
      throw bad(
        what,
        `unexpected entry ${JSON.stringify(stray)} (a recipe holds recipe.json, crops/*.png and head/)`,
      );
    if (!names.includes('recipe.json')) throw bad(what, 'no recipe.json');
    if (statSync(join(out, 'recipe.json')).size > 2 ** 20) throw bad(what, 'recipe.json is over 1 MiB');
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(join(out, 'recipe.json'), 'utf8'));
    } catch (e) {
      throw bad(what, `recipe.json is not JSON (${(e as Error).message})`);
    }
    const recipe = checkRecipe(json, what);
    const crops = new Map<string, Uint8Array>();
    for (const name of [...recipe.crops.positives, ...recipe.crops.negatives]) {
      if (typeof name !== 'string' || !CROP.test(`crops/${name}`) || !names.includes(`crops/${name}`))
        throw bad(what, `crop ${JSON.stringify(name)} is named in recipe.json but not in the ZIP`);
      const bytes = readFileSync(join(out, 'crops', name));
      try {
        const img = await loadImage(bytes);
        if (img.width < 1 || img.height < 1 || img.width * img.height > 4096 * 4096) throw new Error('size');
      } catch {
        throw bad(what, `crop ${name} does not decode as an image`);
      }
      crops.set(name, bytes);
    }
    const head = new Map<string, Uint8Array>();
    for (const n of names.filter((x) => HEAD.test(x))) head.set(n.slice(5), readFileSync(join(out, n)));
    if (recipe.filter?.kind === 'head' && head.size !== 3)
      throw bad(what, 'its filter is a head, but head/head.json, weights.npy and bias.npy are not all there');
    return { recipe, crops, head };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
