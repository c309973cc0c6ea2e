// Projects and who may see them.
import { ForbiddenError, NotFoundError } from '@segkit/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Caller } from '../roles.js';
import type { ProjectCreateT, ProjectT } from '../schemas.js';

function toProject(row: {
  id: number;
  name: string;
  labels: string;
  settings: string;
  created_at: string;
}): ProjectT {
  return {
    id: row.id,
    name: row.name,
    labels: JSON.parse(row.labels),
    settings: JSON.parse(row.settings),
    createdAt: row.created_at,
  };
}

/** A project by id for background work (no caller: jobs check access when they are created). */
export async function projectById(db: Kysely<Database>, id: number): Promise<ProjectT> {
  const row = await db.selectFrom('project').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(`No project ${id}`);
  return toProject(row);
}

/** A viewer may not change anything. */
export function requireWrite(caller: Caller): void {
  if (caller.role === 'viewer')
    throw new ForbiddenError(`${caller.name} is a viewer and cannot change anything`);
}

/** Only an admin may delete projects and manage users. */
export function requireAdmin(caller: Caller, what: string): void {
  if (caller.role !== 'admin') throw new ForbiddenError(`Only an admin can ${what}`);
}

/** The project, if the caller may see it; otherwise E_NOT_FOUND, so that ids of other projects do not leak. */
export async function getProject(db: Kysely<Database>, caller: Caller, id: number): Promise<ProjectT> {
  let q = db.selectFrom('project').selectAll('project').where('project.id', '=', id);
  if (caller.role !== 'admin')
    q = q
      .innerJoin('membership', 'membership.project_id', 'project.id')
      .where('membership.user_id', '=', caller.userId);
  const row = await q.executeTakeFirst();
  if (!row) throw new NotFoundError(`No project ${id}`);
  return toProject(row);
}

export async function listProjects(db: Kysely<Database>, caller: Caller): Promise<ProjectT[]> {
  let q = db.selectFrom('project').selectAll('project').orderBy('project.id');
  if (caller.role !== 'admin')
    q = q
      .innerJoin('membership', 'membership.project_id', 'project.id')
      .where('membership.user_id', '=', caller.userId);
  return (await q.execute()).map(toProject);
}

export async function createProject(
  db: Kysely<Database>,
  caller: Caller,
  body: ProjectCreateT,
): Promise<ProjectT> {
  requireWrite(caller);
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('project')
      .values({
        name: body.name,
        labels: JSON.stringify(body.labels ?? []),
        settings: JSON.stringify(body.settings ?? {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await tx.insertInto('membership').values({ user_id: caller.userId, project_id: row.id }).execute();
    return toProject(row);
  });
}

export async function updateProject(
  db: Kysely<Database>,
  caller: Caller,
  id: number,
  body: Partial<ProjectCreateT>,
): Promise<ProjectT> {
  await getProject(db, caller, id);
  requireWrite(caller);
  const fields = {
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.labels !== undefined ? { labels: JSON.stringify(body.labels) } : {}),
    ...(body.settings !== undefined ? { settings: JSON.stringify(body.settings) } : {}),
  };
  // An empty change (`{}`) changes nothing: there is no SQL to run.
  if (Object.keys(fields).length) await db.updateTable('project').set(fields).where('id', '=', id).execute();
  return getProject(db, caller, id);
}

/** The project named `name` (a served folder's), made for the admin when there is none; its id. */
export async function folderProject(db: Kysely<Database>, name: string): Promise<number> {
  const found = await db.selectFrom('project').select('id').where('name', '=', name).executeTakeFirst();
  if (found) return found.id;
  return db.transaction().execute(async (tx) => {
    const project = await tx
      .insertInto('project')
      .values({ name, labels: '[]', settings: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const admin = await tx
      .selectFrom('user')
      .select('id')
      .where('name', '=', 'admin')
      .executeTakeFirstOrThrow();
    await tx.insertInto('membership').values({ user_id: admin.id, project_id: project.id }).execute();
    return project.id;
  });
}

/** Sets a project's label set (a job adding the labels a dataset brings). */
export async function setProjectLabels(
  db: Kysely<Database>,
  id: number,
  labels: ProjectT['labels'],
): Promise<void> {
  await db
    .updateTable('project')
    .set({ labels: JSON.stringify(labels) })
    .where('id', '=', id)
    .execute();
}

/** Deletes a project with its images, annotations, results and recipes (cascade); returns the blob keys it held. */
export async function deleteProject(db: Kysely<Database>, caller: Caller, id: number): Promise<string[]> {
  await getProject(db, caller, id);
  requireAdmin(caller, 'delete projects');
  const blobs = await db.selectFrom('image').select('sha256').where('project_id', '=', id).execute();
  const recipes = await db.selectFrom('recipe').select('blob').where('project_id', '=', id).execute();
  await db.deleteFrom('project').where('id', '=', id).execute();
  return [...blobs.map((b) => b.sha256), ...recipes.map((r) => r.blob)];
}
