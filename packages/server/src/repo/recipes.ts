// Find-all recipes of a project: one row per name (importing a name again replaces it), the ZIP kept as a blob.
import { NotFoundError } from '@segkit/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Caller } from '../roles.js';
import type { RecipeSummaryT } from '../schemas.js';
import { getProject } from './projects.js';

export interface RecipeRow {
  id: number;
  projectId: number;
  name: string;
  blob: string;
  summary: RecipeSummaryT;
}

type Row = Awaited<ReturnType<typeof select>>[number];
const select = (db: Kysely<Database>) => db.selectFrom('recipe').selectAll().execute();

function toRow(r: Row): RecipeRow {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    blob: r.blob,
    summary: {
      ...JSON.parse(r.summary),
      id: r.id,
      name: r.name,
      className: r.class_name,
      createdBy: r.created_by,
      createdAt: r.created_at,
    },
  };
}

/** The project's recipes, by name. */
export async function listRecipes(db: Kysely<Database>, projectId: number): Promise<RecipeRow[]> {
  const rows = await db
    .selectFrom('recipe')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('name')
    .execute();
  return rows.map(toRow);
}

/** A recipe the caller may see (E_NOT_FOUND otherwise, never E_FORBIDDEN: ids do not leak). */
export async function getRecipe(
  db: Kysely<Database>,
  caller: Caller | undefined,
  id: number,
): Promise<RecipeRow> {
  const row = await db.selectFrom('recipe').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(`No recipe ${id}`);
  if (caller)
    await getProject(db, caller, row.project_id).catch(() => {
      throw new NotFoundError(`No recipe ${id}`);
    });
  return toRow(row);
}

/** Adds a recipe, or replaces the project's recipe of the same name; returns it and the blob it replaced, if any. */
export async function putRecipe(
  db: Kysely<Database>,
  r: { projectId: number; name: string; className: string; blob: string; summary: object; by: string | null },
): Promise<{ recipe: RecipeRow; replacedBlob: string | null }> {
  return db.transaction().execute(async (tx) => {
    const old = await tx
      .selectFrom('recipe')
      .select(['id', 'blob'])
      .where('project_id', '=', r.projectId)
      .where('name', '=', r.name)
      .executeTakeFirst();
    if (old) await tx.deleteFrom('recipe').where('id', '=', old.id).execute();
    const inserted = await tx
      .insertInto('recipe')
      .values({
        project_id: r.projectId,
        name: r.name,
        class_name: r.className,
        blob: r.blob,
        summary: JSON.stringify(r.summary),
        created_by: r.by,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { recipe: toRow(inserted), replacedBlob: old && old.blob !== r.blob ? old.blob : null };
  });
}

/** Deletes a recipe; returns its blob key. */
export async function deleteRecipe(db: Kysely<Database>, id: number): Promise<string> {
  const row = await db.selectFrom('recipe').select('blob').where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(`No recipe ${id}`);
  await db.deleteFrom('recipe').where('id', '=', id).execute();
  return row.blob;
}
