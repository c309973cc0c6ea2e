// Processing results: one row per (image, mode), with its status, counts and COCO file.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export type Mode = 'inside_box' | 'find_all';

export interface ResultFields {
  status: string;
  counts?: object;
  model?: string | null;
  ms?: number;
  coco_blob?: string | null;
  error?: string | null;
}

/** Sets an image's result for a mode, creating the row when there is none. */
export async function setResult(db: Kysely<Database>, imageId: number, mode: Mode, fields: ResultFields) {
  const values = {
    status: fields.status,
    counts: JSON.stringify(fields.counts ?? {}),
    model: fields.model ?? null,
    ms: fields.ms ?? null,
    coco_blob: fields.coco_blob ?? null,
    error: fields.error ?? null,
    updated_at: new Date().toISOString(),
  };
  await db
    .insertInto('processing_result')
    .values({ image_id: imageId, mode, ...values })
    .onConflict((oc) => oc.columns(['image_id', 'mode']).doUpdateSet(values))
    .execute();
}

/** An image's results, one per mode processed. */
export async function listResults(db: Kysely<Database>, imageId: number) {
  const rows = await db
    .selectFrom('processing_result')
    .selectAll()
    .where('image_id', '=', imageId)
    .orderBy('mode')
    .execute();
  return rows.map((r) => ({
    mode: r.mode as Mode,
    status: r.status,
    counts: JSON.parse(r.counts) as Record<string, number>,
    model: r.model,
    ms: r.ms,
    error: r.error,
    updatedAt: r.updated_at,
  }));
}

/** The blob key of an image's COCO file for a mode, if processing wrote one. */
export async function cocoBlobOf(
  db: Kysely<Database>,
  imageId: number,
  mode: Mode,
): Promise<string | undefined> {
  const r = await db
    .selectFrom('processing_result')
    .select('coco_blob')
    .where('image_id', '=', imageId)
    .where('mode', '=', mode)
    .executeTakeFirst();
  return r?.coco_blob ?? undefined;
}
