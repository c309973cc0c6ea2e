// Folders a job trained for a project (classifier heads), one row per kind and name: the folder's files are blobs,
// so every replica and worker reads the same folder whatever data directory trained it.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export interface ArtifactRow {
  name: string;
  /** File name → blob key. */
  files: Record<string, string>;
  createdAt: string;
}

const toRow = (r: { name: string; files: string; created_at: string }): ArtifactRow => ({
  name: r.name,
  files: JSON.parse(r.files) as Record<string, string>,
  createdAt: r.created_at,
});

/** Records a folder (replacing one of the same kind and name). */
export async function putArtifact(
  db: Kysely<Database>,
  projectId: number,
  kind: string,
  name: string,
  files: Record<string, string>,
): Promise<void> {
  const values = { files: JSON.stringify(files), created_at: new Date().toISOString() };
  await db
    .insertInto('artifact')
    .values({ project_id: projectId, kind, name, ...values })
    .onConflict((oc) => oc.columns(['project_id', 'kind', 'name']).doUpdateSet(values))
    .execute();
}

/** The project's folders of a kind, by name. */
export async function listArtifacts(
  db: Kysely<Database>,
  projectId: number,
  kind: string,
): Promise<ArtifactRow[]> {
  const rows = await db
    .selectFrom('artifact')
    .select(['name', 'files', 'created_at'])
    .where('project_id', '=', projectId)
    .where('kind', '=', kind)
    .orderBy('name')
    .execute();
  return rows.map(toRow);
}

/** One folder of the project, if recorded. */
export async function artifactOf(
  db: Kysely<Database>,
  projectId: number,
  kind: string,
  name: string,
): Promise<ArtifactRow | undefined> {
  const r = await db
    .selectFrom('artifact')
    .select(['name', 'files', 'created_at'])
    .where('project_id', '=', projectId)
    .where('kind', '=', kind)
    .where('name', '=', name)
    .executeTakeFirst();
  return r ? toRow(r) : undefined;
}

/** Every blob key the recorded folders name (doctor's check and its orphan sweep). */
export async function artifactBlobs(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('artifact').select('files').execute();
  return rows.flatMap((r) => Object.values(JSON.parse(r.files) as Record<string, string>));
}
