// Which blob store a server uses: the data directory's folder, or an S3 bucket when `--blobs s3://…` names one.
import { join } from 'node:path';
import { type BlobStore, FolderBlobStore } from './blobs.js';
import { S3BlobStore } from './blobs-s3.js';

export function blobStoreOf(dataDir: string, url?: string): BlobStore {
  return url ? new S3BlobStore(url) : new FolderBlobStore(join(dataDir, 'blobs'));
}
