// Annotations, kept per mode, with optimistic concurrency: every update names the version it was based on.
import { ConflictError, NotFoundError } from '@segkit/core';
import type { Kysely, Selectable } from 'kysely';
import type { AnnotationTable, Database } from '../db/schema.js';
import type { AnnotationT } from '../schemas.js';

/** What the repository stores for a new annotation (already validated against its image). */
export interface NewAnnotation {
  imageId: number;
  label: string | null;
  mode: AnnotationT['mode'];
  promptType: AnnotationT['promptType'];
  source: AnnotationT['source'];
  bbox: AnnotationT['bbox'];
  rle: AnnotationT['rle'];
  score: number | null;
  model: string | null;
  by: string;
}

export function toAnnotation(r: Selectable<AnnotationTable>): AnnotationT {
  return {
    id: r.id,
    imageId: r.image_id,
    label: r.label,
    mode: r.mode as AnnotationT['mode'],
    promptType: r.prompt_type as AnnotationT['promptType'],
    source: r.source as AnnotationT['source'],
    bbox: JSON.parse(r.bbox),
    rle: r.rle === null ? null : JSON.parse(r.rle),
    score: r.score,
    model: r.model,
    version: r.version,
    createdBy: r.created_by,
    updatedBy: r.updated_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const row = (a: NewAnnotation) => ({
  image_id: a.imageId,
  label: a.label,
  mode: a.mode,
  prompt_type: a.promptType,
  source: a.source,
  bbox: JSON.stringify(a.bbox),
  rle: a.rle === null ? null : JSON.stringify(a.rle),
  score: a.score,
  model: a.model,
  created_by: a.by,
  updated_by: a.by,
});

export async function insertAnnotations(db: Kysely<Database>, list: NewAnnotation[]): Promise<AnnotationT[]> {
  if (!list.length) return [];
  const rows = await db.insertInto('annotation').values(list.map(row)).returningAll().execute();
  return rows.map(toAnnotation);
}

export async function listAnnotations(
  db: Kysely<Database>,
  imageId: number,
  filter: { mode?: string; promptType?: string; source?: string; label?: string },
): Promise<AnnotationT[]> {
  let q = db.selectFrom('annotation').selectAll().where('image_id', '=', imageId);
  if (filter.mode) q = q.where('mode', '=', filter.mode);
  if (filter.promptType) q = q.where('prompt_type', '=', filter.promptType);
  if (filter.source) q = q.where('source', '=', filter.source);
  if (filter.label) q = q.where('label', '=', filter.label);
  return (await q.orderBy('id').execute()).map(toAnnotation);
}

export async function getAnnotationRow(
  db: Kysely<Database>,
  id: number,
): Promise<Selectable<AnnotationTable>> {
  const r = await db.selectFrom('annotation').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw new NotFoundError(`No annotation ${id}`);
  return r;
}

/**
 * Applies a change if the stored version is still `version`, in one statement: of two updates based on the same
 * version, exactly one succeeds and the other gets E_CONFLICT.
 */
export async function updateAnnotation(
  db: Kysely<Database>,
  id: number,
  version: number,
  change: Partial<Pick<NewAnnotation, 'label' | 'promptType' | 'bbox' | 'rle'>>,
  by: string,
): Promise<AnnotationT> {
  const updated = await db
    .updateTable('annotation')
    .set({
      ...(change.label !== undefined ? { label: change.label } : {}),
      ...(change.promptType !== undefined ? { prompt_type: change.promptType } : {}),
      ...(change.bbox !== undefined ? { bbox: JSON.stringify(change.bbox) } : {}),
      ...(change.rle !== undefined ? { rle: change.rle === null ? null : JSON.stringify(change.rle) } : {}),
      version: version + 1,
      updated_by: by,
      updated_at: new Date().toISOString(),
    })
    .where('id', '=', id)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();
  if (updated) return toAnnotation(updated);
  const now = await getAnnotationRow(db, id);
  throw new ConflictError(
    `Annotation ${id} is at version ${now.version}, not ${version}: it changed since you read it (by ${now.updated_by ?? 'someone'})`,
  );
}

export async function deleteAnnotation(db: Kysely<Database>, id: number): Promise<void> {
  await db.deleteFrom('annotation').where('id', '=', id).execute();
}

/**
 * Replaces an image's annotations of one mode (optionally only those of one source, prompt type, models or labels) by
 * `list`, in one transaction.
 */
export async function replaceAnnotations(
  db: Kysely<Database>,
  imageId: number,
  mode: string,
  list: NewAnnotation[],
  only: { source?: string; promptType?: string; models?: string[]; labels?: string[] } = {},
): Promise<AnnotationT[]> {
  return db.transaction().execute(async (tx) => {
    let del = tx.deleteFrom('annotation').where('image_id', '=', imageId).where('mode', '=', mode);
    if (only.source) del = del.where('source', '=', only.source);
    if (only.labels) del = del.where('label', 'in', only.labels.length ? only.labels : ['']);
    if (only.promptType) del = del.where('prompt_type', '=', only.promptType);
    if (only.models) del = del.where('model', 'in', only.models.length ? only.models : ['']);
    await del.execute();
    return insertAnnotations(tx, list);
  });
}

/** A project's user-made labelled masks (segment annotations of either mode), with their images, oldest first. */
export async function userMasks(db: Kysely<Database>, projectId: number) {
  return db
    .selectFrom('annotation')
    .innerJoin('image', 'image.id', 'annotation.image_id')
    .select([
      'image.id as imageId',
      'image.sha256',
      'image.width',
      'image.height',
      'annotation.label',
      'annotation.rle',
    ])
    .where('image.project_id', '=', projectId)
    .where('annotation.source', '=', 'user')
    .where('annotation.prompt_type', '=', 'segment')
    .where('annotation.label', 'is not', null)
    .where('annotation.rle', 'is not', null)
    .orderBy('annotation.id')
    .execute();
}

/** Names the model that made the masks of an image's annotations of one mode and prompt type. */
export async function setAnnotationModel(
  db: Kysely<Database>,
  imageId: number,
  mode: string,
  promptType: string,
  model: string,
): Promise<void> {
  await db
    .updateTable('annotation')
    .set({ model })
    .where('image_id', '=', imageId)
    .where('mode', '=', mode)
    .where('prompt_type', '=', promptType)
    .execute();
}

/** Every labelled box or mask of a project (both modes, exemplars left out), with its image: what a head learns. */
export async function labelledAnnotations(
  db: Kysely<Database>,
  projectId: number,
): Promise<
  { imageId: number; sha256: string; label: string; bbox: AnnotationT['bbox']; rle: AnnotationT['rle'] }[]
> {
  const rows = await db
    .selectFrom('annotation')
    .innerJoin('image', 'image.id', 'annotation.image_id')
    .select(['annotation.image_id', 'image.sha256', 'annotation.label', 'annotation.bbox', 'annotation.rle'])
    .where('image.project_id', '=', projectId)
    .where('annotation.prompt_type', '=', 'segment')
    .where('annotation.label', 'is not', null)
    .orderBy('annotation.id')
    .execute();
  return rows.map((r) => ({
    imageId: r.image_id,
    sha256: r.sha256,
    label: r.label!,
    bbox: JSON.parse(r.bbox),
    rle: r.rle === null ? null : JSON.parse(r.rle),
  }));
}
