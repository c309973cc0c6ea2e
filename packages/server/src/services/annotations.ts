// Saving annotations: the checks every write makes (label in the project's set, box and RLE inside the image) and
// the writes themselves. Routes and assists call this service; it loads what a request needs once, so a bulk save
// of 10,000 annotations reads the project once, not once per annotation.
import { InvalidArgumentError, type Rle, rleArea, rleBbox } from '@segkit/core';
import type { Caller } from '../auth.js';
import type { ServerContext } from '../context.js';
import {
  getAnnotationRow,
  insertAnnotations,
  type NewAnnotation,
  replaceAnnotations,
  updateAnnotation,
} from '../repo/annotations.js';
import { getImageMeta, type ImageMeta } from '../repo/images.js';
import { getProject, requireWrite } from '../repo/projects.js';
import type { AnnotationCreateT, AnnotationT, AnnotationUpdateT, ModeT } from '../schemas.js';

type Box = [number, number, number, number];

/** Checks a box against the image: positive size, inside it. */
export function checkBox(box: Box, image: ImageMeta): void {
  const [x, y, w, h] = box;
  if (!(w > 0 && h > 0))
    throw new InvalidArgumentError(`bbox [${box.join(', ')}] is empty: w and h must be > 0`);
  if (x + w > image.width || y + h > image.height)
    throw new InvalidArgumentError(
      `bbox [${box.join(', ')}] lies outside the ${image.width}×${image.height} image`,
    );
}

/** Checks an RLE against the image (its size must be the image's, its counts must decode) and returns its bbox. */
function checkRle(rle: Rle, image: ImageMeta): Box {
  if (rle.size[0] !== image.height || rle.size[1] !== image.width)
    throw new InvalidArgumentError(
      `rle.size [${rle.size.join(', ')}] is not the image's [height, width] [${image.height}, ${image.width}]`,
    );
  rleArea(rle); // throws E_RLE_INVALID on malformed counts
  return rleBbox(rle) as Box;
}

/** The checks of one request's writes on one image; the project's label set is read once, when first needed. */
class ImageWrites {
  private labels?: Promise<string[]>;

  constructor(
    private readonly ctx: ServerContext,
    private readonly caller: Caller,
    readonly image: ImageMeta,
  ) {}

  /** A label must be one of the project's labels, when the project has any. */
  async checkLabel(label: string | null | undefined): Promise<void> {
    if (!label) return;
    this.labels ??= getProject(this.ctx.db, this.caller, this.image.projectId).then((p) =>
      p.labels.map((l) => l.name),
    );
    const names = await this.labels;
    if (names.length && !names.includes(label))
      throw new InvalidArgumentError(
        `Label ${JSON.stringify(label)} is not in the project's label set (${names.join(', ')})`,
      );
  }

  async toNew(a: AnnotationCreateT): Promise<NewAnnotation> {
    await this.checkLabel(a.label);
    const rleBox = a.rle ? checkRle(a.rle, this.image) : undefined;
    const bbox = a.bbox ?? rleBox;
    if (!bbox) throw new InvalidArgumentError('An annotation needs a bbox, an rle, or both');
    checkBox(bbox, this.image);
    return {
      imageId: this.image.id,
      label: a.label ?? null,
      mode: a.mode,
      promptType: a.promptType ?? 'segment',
      source: a.source ?? 'user',
      bbox,
      rle: a.rle ?? null,
      score: a.score ?? null,
      model: a.model ?? null,
      by: this.caller.name,
    };
  }
}

/** The image a caller may write to: found (404 otherwise) and the caller's role allows writing (403 otherwise). */
async function writable(ctx: ServerContext, caller: Caller, imageId: number): Promise<ImageWrites> {
  const image = await getImageMeta(ctx.db, caller, imageId);
  requireWrite(caller);
  return new ImageWrites(ctx, caller, image);
}

/** Adds one annotation to an image. */
export async function createAnnotation(
  ctx: ServerContext,
  caller: Caller,
  imageId: number,
  a: AnnotationCreateT,
): Promise<AnnotationT> {
  const w = await writable(ctx, caller, imageId);
  const [created] = await insertAnnotations(ctx.db, [await w.toNew(a)]);
  return created!;
}

/** Replaces every annotation of one image in one mode by `list` (the bulk save), every item checked first. */
export async function saveImageAnnotations(
  ctx: ServerContext,
  caller: Caller,
  imageId: number,
  mode: ModeT,
  list: AnnotationCreateT[],
): Promise<AnnotationT[]> {
  const w = await writable(ctx, caller, imageId);
  const rows: NewAnnotation[] = [];
  for (const a of list) {
    if (a.mode !== mode)
      throw new InvalidArgumentError(`Every annotation must be in mode ${mode}, as the query says`);
    rows.push(await w.toNew(a));
  }
  return replaceAnnotations(ctx.db, imageId, mode, rows);
}

/** Updates an annotation if it is still at `version` (E_CONFLICT otherwise). */
export async function patchAnnotation(
  ctx: ServerContext,
  caller: Caller,
  annotationId: number,
  version: number,
  u: AnnotationUpdateT,
): Promise<AnnotationT> {
  const row = await getAnnotationRow(ctx.db, annotationId);
  const w = await writable(ctx, caller, row.image_id);
  await w.checkLabel(u.label);
  const rleBox = u.rle ? checkRle(u.rle, w.image) : undefined;
  const bbox = u.bbox ?? rleBox;
  if (bbox) checkBox(bbox, w.image);
  const changes = {
    ...(u.label !== undefined ? { label: u.label } : {}),
    ...(u.promptType !== undefined ? { promptType: u.promptType } : {}),
    ...(bbox ? { bbox } : {}),
    ...(u.rle !== undefined ? { rle: u.rle } : {}),
  };
  return updateAnnotation(ctx.db, row.id, version, changes, caller.name);
}
