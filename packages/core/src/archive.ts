import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { ArchiveUnsafeError, DatasetFormatError } from './errors.js';
import { safeRelativePath } from './paths.js';

/** Safety limits for archive extraction. */
export interface ArchiveLimits {
  /** Most entries (files and folders) allowed (default 200,000). */
  maxEntries: number;
  /** Most uncompressed bytes in all (default 20 GiB). */
  maxTotalBytes: number;
  /** Largest uncompressed/compressed ratio allowed for an entry (default 200)… */
  maxRatio: number;
  /** …checked once an entry has produced this many bytes (default 1 MiB; small files may compress well). */
  ratioFloorBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 200_000,
  maxTotalBytes: 20 * 2 ** 30,
  maxRatio: 200,
  ratioFloorBytes: 2 ** 20,
};

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((res, rej) =>
    yauzl.open(
      path,
      { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: true },
      (err, zip) =>
        err ? rej(new DatasetFormatError(`${path} is not a readable ZIP archive: ${err.message}`)) : res(zip),
    ),
  );
}

/**
 * Extracts a ZIP archive into `dest` without trusting it:
 * - every name is checked (no `..`, absolute paths, drive letters, backslashes) and must land inside `dest`
 * - symlink entries are refused
 * - entries, total bytes and each entry's compression ratio are counted while the data streams, not read from the
 *   headers (which a zip bomb can fake)
 * Any violation throws (`E_UNSAFE_PATH` / `E_ARCHIVE_UNSAFE`) and removes everything extracted so far.
 */
export async function extractZip(
  zipPath: string,
  dest: string,
  limits: Partial<ArchiveLimits> = {},
): Promise<{ entries: number; bytes: number }> {
  const L = { ...DEFAULT_ARCHIVE_LIMITS, ...limits };
  const root = resolve(dest);
  mkdirSync(root, { recursive: true });
  const zip = await openZip(zipPath);
  let entries = 0;
  let total = 0;
  try {
    await new Promise<void>((done, fail) => {
      zip.on('error', fail);
      zip.on('end', () => done());
      zip.on('entry', (entry: yauzl.Entry) => {
        (async () => {
          entries++;
          if (entries > L.maxEntries)
            throw new ArchiveUnsafeError(`${zipPath} has more than ${L.maxEntries} entries`);
          const raw = entry.fileName as unknown as Buffer;
          const name = raw.toString(entry.generalPurposeBitFlag & 0x800 ? 'utf8' : 'latin1');
          const isDir = name.endsWith('/');
          const rel = safeRelativePath(isDir ? name.slice(0, -1) : name, `archive entry`);
          if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
            throw new ArchiveUnsafeError(`${zipPath} entry ${JSON.stringify(name)} is a symlink`);
          }
          const target = resolve(root, rel);
          if (!target.startsWith(root + sep))
            throw new ArchiveUnsafeError(`${zipPath} entry ${JSON.stringify(name)} leaves the target folder`);
          if (isDir) {
            mkdirSync(target, { recursive: true });
            return;
          }
          mkdirSync(dirname(target), { recursive: true });
          const stream = await new Promise<NodeJS.ReadableStream>((res, rej) =>
            zip.openReadStream(entry, (e, s) => (e ? rej(e) : res(s))),
          );
          let written = 0;
          const compressed = Math.max(1, entry.compressedSize);
          const guard = new Transform({
            transform(chunk: Buffer, _enc, cb) {
              written += chunk.length;
              total += chunk.length;
              if (total > L.maxTotalBytes)
                return cb(new ArchiveUnsafeError(`${zipPath} unpacks to more than ${L.maxTotalBytes} bytes`));
              if (written > L.ratioFloorBytes && written / compressed > L.maxRatio) {
                return cb(
                  new ArchiveUnsafeError(
                    `${zipPath} entry ${JSON.stringify(name)} expands more than ${L.maxRatio}× (a zip bomb?)`,
                  ),
                );
              }
              cb(null, chunk);
            },
          });
          await pipeline(stream, guard, createWriteStream(target));
        })().then(
          () => zip.readEntry(),
          (e) => {
            zip.close();
            fail(e);
          },
        );
      });
      zip.readEntry();
    });
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    if (e instanceof Error && !('code' in e && String((e as { code: unknown }).code).startsWith('E_'))) {
      const lies = /too (many|few) bytes in the stream/.test(e.message);
      throw new ArchiveUnsafeError(
        lies
          ? `${zipPath} has an entry whose data does not match its declared size (a zip bomb or a damaged archive): ${e.message}`
          : `${zipPath} could not be extracted safely: ${e.message}`,
      );
    }
    throw e;
  }
  return { entries, bytes: total };
}

/** Extracts to a new temporary folder that is removed when the process exits. */
export async function extractZipToTemp(
  zipPath: string,
  limits: Partial<ArchiveLimits> = {},
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-zip-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  await extractZip(zipPath, join(dir, 'x'), limits);
  return join(dir, 'x');
}
