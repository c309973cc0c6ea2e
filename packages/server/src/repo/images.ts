// Images of a project: metadata in the database, bytes in the blob store (by content hash).
import { NotFoundError } from '@segkit/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, ImageTable } from '../db/schema.js';
import type { Caller } from '../roles.js';
import type { ImageT } from '../schemas.js';
import { getProject } from './projects.js';

const MODES = ['inside_box', 'find_all'] as const;

/** An image row's own fields, as the API shows them. */
function toMeta(r: Selectable<ImageTable>): Omit<ImageT, 'status' | 'errors' | 'annotations' | 'exemplars'> {
  return {
    id: r.id,
    projectId: r.project_id,
    sha256: r.sha256,
    fileName: r.file_name,
    width: r.width,
    height: r.height,
    textPrompt: r.text_prompt,
    createdAt: r.created_at,
  };
}

/** Images with their per-mode status and annotation counts. */
async function withStatus(db: Kysely<Database>, rows: Selectable<ImageTable>[]): Promise<ImageT[]> {
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id as number);
  const counts = await db
    .selectFrom('annotation')
    .select(['image_id', 'mode', 'prompt_type', sql<number>`count(*)`.as('n')])
    .where('image_id', 'in', ids)
    .groupBy(['image_id', 'mode', 'prompt_type'])
    .execute();
  const results = await db
    .selectFrom('processing_result')
    .select(['image_id', 'mode', 'status', 'error'])
    .where('image_id', 'in', ids)
    .execute();
  return rows.map((r) => {
    const count = (mode: string, promptType?: string) =>
      counts
        .filter(
          (c) => c.image_id === r.id && c.mode === mode && (!promptType || c.prompt_type === promptType),
        )
        .reduce((n, c) => n + Number(c.n), 0);
    const result = (mode: string) => results.find((p) => p.image_id === r.id && p.mode === mode);
    const status = (mode: string) => (result(mode)?.status ?? 'none') as ImageT['status']['find_all'];
    const error = (mode: string) => (status(mode) === 'failed' ? (result(mode)?.error ?? null) : null);
    return {
      ...toMeta(r),
      status: Object.fromEntries(MODES.map((m) => [m, status(m)])) as ImageT['status'],
      errors: Object.fromEntries(MODES.map((m) => [m, error(m)])) as ImageT['errors'],
      annotations: Object.fromEntries(MODES.map((m) => [m, count(m)])) as ImageT['annotations'],
      exemplars: count('find_all', 'positive_exemplar'),
    };
  });
}

export type ImageRow = Selectable<ImageTable>;

/** An image by id for background work (no caller: jobs check access when they are created). */
export async function imageById(db: Kysely<Database>, id: number): Promise<ImageT | undefined> {
  const row = await db.selectFrom('image').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? (await withStatus(db, [row]))[0] : undefined;
}

/** An image's own fields, without the per-mode status and counts. */
export type ImageMeta = Omit<ImageT, 'status' | 'errors' | 'annotations' | 'exemplars'>;

/**
 * The image's own fields if the caller may see its project, in one query (E_NOT_FOUND otherwise): for the hot
 * paths (annotations, inference) that need no status.
 */
export async function getImageMeta(db: Kysely<Database>, caller: Caller, id: number): Promise<ImageMeta> {
  let q = db.selectFrom('image').selectAll('image').where('image.id', '=', id);
  if (caller.role !== 'admin')
    q = q
      .innerJoin('membership', 'membership.project_id', 'image.project_id')
      .where('membership.user_id', '=', caller.userId);
  const r = await q.executeTakeFirst();
  if (!r) throw new NotFoundError(`No image ${id}`);
  return toMeta(r);
}

/** A project's image rows, in order. */
export async function projectImages(db: Kysely<Database>, projectId: number): Promise<ImageRow[]> {
  return db.selectFrom('image').selectAll().where('project_id', '=', projectId).orderBy('id').execute();
}

/** The ids of a project's images, in order. */
export async function imageIdsOf(db: Kysely<Database>, projectId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('image')
    .select('id')
    .where('project_id', '=', projectId)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Whether any image or recipe of any project still holds these bytes (else their blob can go). */
export async function blobInUse(db: Kysely<Database>, sha256: string): Promise<boolean> {
  if (await db.selectFrom('image').select('id').where('sha256', '=', sha256).executeTakeFirst()) return true;
  return Boolean(await db.selectFrom('recipe').select('id').where('blob', '=', sha256).executeTakeFirst());
}

/** The image, if the caller may see its project (E_NOT_FOUND otherwise). */
export async function getImage(db: Kysely<Database>, caller: Caller, id: number): Promise<ImageT> {
  const row = await db.selectFrom('image').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(`No image ${id}`);
  await getProject(db, caller, row.project_id).catch(() => {
    throw new NotFoundError(`No image ${id}`);
  });
  return (await withStatus(db, [row]))[0]!;
}

export async function listImages(
  db: Kysely<Database>,
  caller: Caller,
  projectId: number,
  page: { offset: number; limit: number },
): Promise<{ items: ImageT[]; total: number; offset: number }> {
  await getProject(db, caller, projectId);
  const rows = await db
    .selectFrom('image')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('id')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  const { n } = await db
    .selectFrom('image')
    .select(sql<number>`count(*)`.as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return { items: await withStatus(db, rows), total: Number(n), offset: page.offset };
}

/** Adds an image, or returns the project's existing one with the same bytes (`created: false`). */
export async function addImage(
  db: Kysely<Database>,
  projectId: number,
  image: { sha256: string; fileName: string; width: number; height: number },
): Promise<{ id: number; created: boolean }> {
  const existing = await db
    .selectFrom('image')
    .select('id')
    .where('project_id', '=', projectId)
    .where('sha256', '=', image.sha256)
    .executeTakeFirst();
  if (existing) return { id: existing.id, created: false };
  const row = await db
    .insertInto('image')
    .values({
      project_id: projectId,
      sha256: image.sha256,
      file_name: image.fileName,
      width: image.width,
      height: image.height,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, created: true };
}

export async function setTextPrompt(
  db: Kysely<Database>,
  id: number,
  textPrompt: string | null,
): Promise<void> {
  await db.updateTable('image').set({ text_prompt: textPrompt }).where('id', '=', id).execute();
}

/** Deletes an image; returns its blob key when no other image of any project uses the same bytes. */
export async function deleteImage(db: Kysely<Database>, id: number): Promise<string | undefined> {
  const row = await db.selectFrom('image').select('sha256').where('id', '=', id).executeTakeFirstOrThrow();
  await db.deleteFrom('image').where('id', '=', id).execute();
  const others = await db
    .selectFrom('image')
    .select('id')
    .where('sha256', '=', row.sha256)
    .executeTakeFirst();
  return others ? undefined : row.sha256;
}
