// The database's tables, as Kysely sees them. JSON columns hold text; the repository layer parses them.
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<string, string | undefined, string>;

export interface ProjectTable {
  id: Generated<number>;
  name: string;
  /** JSON: [{ name, colour, description? }] */
  labels: string;
  /** JSON: { models?: { segment?, text?, embed? }, ... } */
  settings: string;
  created_at: Timestamp;
}

export interface ImageTable {
  id: Generated<number>;
  project_id: number;
  sha256: string;
  file_name: string;
  width: number;
  height: number;
  text_prompt: string | null;
  created_at: Timestamp;
}

export interface AnnotationTable {
  id: Generated<number>;
  image_id: number;
  label: string | null;
  mode: string;
  prompt_type: string;
  source: string;
  /** JSON [x, y, w, h] */
  bbox: string;
  /** JSON COCO compressed RLE, or null for a box-only annotation */
  rle: string | null;
  score: number | null;
  model: string | null;
  version: Generated<number>;
  created_by: string | null;
  updated_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ProcessingResultTable {
  id: Generated<number>;
  image_id: number;
  mode: string;
  status: string;
  /** JSON counts */
  counts: string;
  model: string | null;
  ms: number | null;
  coco_blob: string | null;
  error: string | null;
  updated_at: Timestamp;
}

export interface JobTable {
  id: Generated<number>;
  project_id: number | null;
  kind: string;
  params: string;
  state: string;
  done: Generated<number>;
  total: Generated<number>;
  message: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  attempts: Generated<number>;
  result: string | null;
  error: string | null;
  cancel_requested: Generated<number>;
  /** Items that failed (their reasons are in job_item.error). */
  failed_items: Generated<number>;
  /** How many lanes (BullMQ jobs) share the job's items; 1 unless split (team/bull.ts). */
  lanes: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface JobItemTable {
  job_id: number;
  item: string;
  finished_at: Timestamp;
  /** Why the item failed; null when it succeeded. */
  error: string | null;
  /** The failure's stable code (E_…), E_INTERNAL for an unexpected one. */
  error_code: string | null;
  /** The worker process (host:pid) that finished it. */
  worker: string | null;
  /** The item's counts (JSON, `{"masks": 3}`), summed into the job's result. */
  result: string | null;
}

export interface JobLaneTable {
  job_id: number;
  lane: number;
  /** The lane's result (JSON), summed with the others' when the job ends. */
  result: string | null;
}

export interface UserTable {
  id: Generated<number>;
  name: string;
  role: string;
  created_at: Timestamp;
}

export interface TokenTable {
  id: Generated<number>;
  user_id: number;
  /** SHA-256 of the token; the token itself is never stored. */
  hash: string;
  created_at: Timestamp;
  revoked_at: string | null;
}

export interface MembershipTable {
  user_id: number;
  project_id: number;
}

/** A find-all recipe of a project: its ZIP is a blob; the summary (JSON) is what lists show without opening it. */
export interface RecipeTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  class_name: string;
  blob: string;
  /** JSON: mode, prompts, steps, filter kind, models, scores */
  summary: string;
  created_by: string | null;
  created_at: Timestamp;
}

/** A folder a job trained for a project (a classifier head): its files are blobs, named in `files` (JSON). */
export interface ArtifactTable {
  id: Generated<number>;
  project_id: number;
  kind: string;
  name: string;
  /** JSON: file name → blob key */
  files: string;
  created_at: Timestamp;
}

export interface InstanceTable {
  id: string;
  created_at: Generated<string>;
}

export interface Database {
  instance: InstanceTable;
  project: ProjectTable;
  recipe: RecipeTable;
  artifact: ArtifactTable;
  image: ImageTable;
  annotation: AnnotationTable;
  processing_result: ProcessingResultTable;
  job: JobTable;
  job_item: JobItemTable;
  job_lane: JobLaneTable;
  user: UserTable;
  token: TokenTable;
  membership: MembershipTable;
}
