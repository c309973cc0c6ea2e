// Numbered migrations, applied in order by Kysely's Migrator, the same on SQLite and PostgreSQL: the portable schema
// builder, with the few types that differ from portable.ts (ids, doubles, the current time). Text, integers and
// foreign keys that cascade.
import { randomUUID } from 'node:crypto';
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { portable } from './portable.js';

const m0001: Migration = {
  async up(db: Kysely<unknown>) {
    const t = portable(db);
    await db.schema
      .createTable('project')
      .addColumn('id', ...t.id)
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('labels', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(t.now))
      .execute();
    await db.schema
      .createTable('image')
      .addColumn('id', ...t.id)
      .addColumn('project_id', 'integer', (c) => c.notNull().references('project.id').onDelete('cascade'))
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('file_name', 'text', (c) => c.notNull())
      .addColumn('width', 'integer', (c) => c.notNull())
      .addColumn('height', 'integer', (c) => c.notNull())
      .addColumn('text_prompt', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(t.now))
      .addUniqueConstraint('image_project_sha', ['project_id', 'sha256'])
      .execute();
    await db.schema
      .createTable('annotation')
      .addColumn('id', ...t.id)
      .addColumn('image_id', 'integer', (c) => c.notNull().references('image.id').onDelete('cascade'))
      .addColumn('label', 'text')
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('prompt_type', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('bbox', 'text', (c) => c.notNull())
      .addColumn('rle', 'text')
      .addColumn('score', t.float)
      .addColumn('model', 'text')
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_by', 'text')
      .addColumn('updated_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(t.now))
      .addColumn('updated_at', 'text', (c) => c.notNull().defaultTo(t.now))
      .execute();
    await db.schema
      .createIndex('annotation_image_mode')
      .on('annotation')
      .columns(['image_id', 'mode'])
      .execute();
    await db.schema
      .createTable('processing_result')
      .addColumn('id', ...t.id)
      .addColumn('image_id', 'integer', (c) => c.notNull().references('image.id').onDelete('cascade'))
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('counts', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('model', 'text')
      .addColumn('ms', t.float)
      .addColumn('coco_blob', 'text')
      .addColumn('error', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull().defaultTo(t.now))
      .addUniqueConstraint('processing_image_mode', ['image_id', 'mode'])
      .execute();
    await db.schema
      .createTable('job')
      .addColumn('id', ...t.id)
      .addColumn('project_id', 'integer', (c) => c.references('project.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('params', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('message', 'text')
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_at', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('result', 'text')
      .addColumn('error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(t.now))
      .addColumn('updated_at', 'text', (c) => c.notNull().defaultTo(t.now))
      .execute();
    await db.schema
      .createTable('job_item')
      .addColumn('job_id', 'integer', (c) => c.notNull().references('job.id').onDelete('cascade'))
      .addColumn('item', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text', (c) => c.notNull().defaultTo(t.now))
      .addPrimaryKeyConstraint('job_item_pk', ['job_id', 'item'])
      .execute();
    await db.schema
      .createTable('user')
      .addColumn('id', ...t.id)
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(t.now))
      .execute();
    await db.schema
      .createTable('token')
      .addColumn('id', ...t.id)
      .addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(t.now))
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema
      .createTable('membership')
      .addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
      .addColumn('project_id', 'integer', (c) => c.notNull().references('project.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('membership_pk', ['user_id', 'project_id'])
      .execute();
  },
};

/** Cancelling a running job: the worker sees the request at the next item boundary. */
const m0002: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('job')
      .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('job_state').on('job').columns(['state', 'id']).execute();
  },
};

/** Items that failed: the item's one-line reason, and the job's count of them (a job ends `partial` or `failed`). */
const m0003: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('job_item').addColumn('error', 'text').execute();
    await db.schema.alterTable('job_item').addColumn('error_code', 'text').execute();
    await db.schema
      .alterTable('job')
      .addColumn('failed_items', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};

/** Find-all recipes per project (the ZIP is a blob), one per name. */
const m0004: Migration = {
  async up(db: Kysely<unknown>) {
    const t = portable(db);
    await db.schema
      .createTable('recipe')
      .addColumn('id', ...t.id)
      .addColumn('project_id', 'integer', (c) => c.notNull().references('project.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('class_name', 'text', (c) => c.notNull())
      .addColumn('blob', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(t.now))
      .addUniqueConstraint('recipe_name', ['project_id', 'name'])
      .execute();
  },
};

/**
 * The installation's id, made once with the database: what Redis keys, BullMQ's queue and the event channel are
 * named under, so that replicas and workers on one database agree and two installations can share a Redis.
 */
const m0005: Migration = {
  async up(db: Kysely<unknown>) {
    const t = portable(db);
    await db.schema
      .createTable('instance')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(t.now))
      .execute();
    await (db as Kysely<{ instance: { id: string } }>)
      .insertInto('instance')
      .values({ id: randomUUID().replaceAll('-', '').slice(0, 16) })
      .execute();
  },
};

/**
 * Jobs split into lanes (team set-up): a job's items are dealt round-robin to `lanes` BullMQ jobs that workers run in
 * parallel; each lane that ends records itself and its result here, and the last one finishes the job. Each item
 * records the worker that finished it.
 */
const m0006: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('job')
      .addColumn('lanes', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema
      .createTable('job_lane')
      .addColumn('job_id', 'integer', (c) => c.notNull().references('job.id').onDelete('cascade'))
      .addColumn('lane', 'integer', (c) => c.notNull())
      .addColumn('result', 'text')
      .addPrimaryKeyConstraint('job_lane_pk', ['job_id', 'lane'])
      .execute();
    // Which worker process (host:pid) finished each item, and the item's counts (JSON; summed into the job's result).
    await db.schema.alterTable('job_item').addColumn('worker', 'text').execute();
    await db.schema.alterTable('job_item').addColumn('result', 'text').execute();
  },
};

/**
 * Folders a job trains for a project (classifier heads), kept as blobs so that every replica and worker reads the
 * same one: one row per kind and name, `files` the folder's file names and their blob keys (JSON).
 */
const m0007: Migration = {
  async up(db: Kysely<unknown>) {
    const t = portable(db);
    await db.schema
      .createTable('artifact')
      .addColumn('id', ...t.id)
      .addColumn('project_id', 'integer', (c) => c.notNull().references('project.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('files', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(t.now))
      .addUniqueConstraint('artifact_name', ['project_id', 'kind', 'name'])
      .execute();
  },
};

/** Every migration, by name; names sort in the order they apply. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-job-cancel': m0002,
  '0003-job-item-errors': m0003,
  '0004-recipes': m0004,
  '0005-instance': m0005,
  '0006-job-lanes': m0006,
  '0007-artifacts': m0007,
};

export const migrationProvider: MigrationProvider = { getMigrations: async () => MIGRATIONS };
