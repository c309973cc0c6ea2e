export { type BuildOptions, build, type SegkitApp } from './app.js';
export { type Caller, ensureAdminToken, issueToken, ROLES, type Role } from './auth.js';
export { type BlobStore, FolderBlobStore } from './blobs.js';
export { DEFAULT_LIMITS, type Limits } from './context.js';
export { integrityCheck } from './db/database.js';
export { type CopyReport, copyDatabase } from './db-copy.js';
export { importFolders } from './folders.js';
export {
  backupDatabase,
  type DoctorReport,
  doctor,
  restoreDatabase,
  sweepTemps,
} from './maintenance.js';
export * from './schemas.js';
export { withoutCredentials } from './urls.js';
export { usersAdd, usersList, usersRevoke } from './users-cli.js';
export { bundledWebRoot } from './web-root.js';
export { startWorker, type WorkerHandle, type WorkerOptions } from './worker.js';
