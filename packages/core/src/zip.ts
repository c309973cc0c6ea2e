// A ZIP writer (PKWARE APPNOTE 6.3, no ZIP64): stored or deflated entries with CRC-32, UTF-8 names, Unix modes and
// DOS timestamps, readable by unzip, Python's zipfile and every archive tool.
import { crc32, deflateRawSync } from 'node:zlib';
import { InvalidArgumentError } from './errors.js';
import { writeFileAtomic } from './fs.js';

/** One file in a ZIP archive. */
export interface ZipFileEntry {
  /** Path inside the archive, with `/` separators (relative, no `..`). */
  name: string;
  data: Uint8Array;
  /** Deflate the entry when that makes it smaller (default true); PNGs usually end up stored. */
  compress?: boolean;
  /** Unix permission bits (default 0o644); a full mode with a file type (such as 0o100755) is kept as given. */
  mode?: number;
  /** Modification time (default: now). */
  mtime?: Date;
}

const LIMIT = 0xffffffff;

function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

function checkName(name: string, seen: Set<string>): Buffer {
  const parts = name.split('/');
  if (!name || name.startsWith('/') || name.includes('\\') || parts.some((p) => p === '..' || p === ''))
    throw new InvalidArgumentError(
      `Invalid ZIP entry name ${JSON.stringify(name)}: use a relative path with /`,
    );
  if (seen.has(name)) throw new InvalidArgumentError(`Duplicate ZIP entry name ${JSON.stringify(name)}`);
  seen.add(name);
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length > 0xffff) throw new InvalidArgumentError(`ZIP entry name too long: ${name.slice(0, 40)}…`);
  return bytes;
}

/**
 * Encodes files as a ZIP archive in memory.
 * @example const zip = encodeZip([{ name: 'masks/0.png', data: png }]);
 */
export function encodeZip(entries: ZipFileEntry[]): Buffer {
  if (entries.length > 0xffff)
    throw new InvalidArgumentError(`A ZIP holds at most 65535 entries without ZIP64; got ${entries.length}`);
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const e of entries) {
    const name = checkName(e.name, seen);
    const raw = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
    const deflated = e.compress === false ? undefined : deflateRawSync(raw);
    const useDeflate = deflated !== undefined && deflated.length < raw.length;
    const body = useDeflate ? deflated : raw;
    if (raw.length >= LIMIT || offset + 30 + name.length + body.length >= LIMIT)
      throw new InvalidArgumentError('The archive would exceed 4 GiB, which needs ZIP64 (not supported)');
    const crc = crc32(raw);
    const { time, date } = dosDateTime(e.mtime ?? new Date());
    // The local header and the central directory record share one run of fields (from "version needed" on).
    const shared = Buffer.alloc(24);
    shared.writeUInt16LE(20, 0); // version needed: 2.0
    shared.writeUInt16LE(0x0800, 2); // UTF-8 names
    shared.writeUInt16LE(useDeflate ? 8 : 0, 4);
    shared.writeUInt16LE(time, 6);
    shared.writeUInt16LE(date, 8);
    shared.writeUInt32LE(crc, 10);
    shared.writeUInt32LE(body.length, 14);
    shared.writeUInt32LE(raw.length, 18);
    shared.writeUInt16LE(name.length, 22);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0); // local file header
    shared.copy(header, 4);
    parts.push(header, name, body);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0); // central directory record
    cd.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the external attributes carry a mode
    shared.copy(cd, 6);
    const mode = e.mode ?? 0o644;
    cd.writeUInt32LE(((mode > 0o7777 ? mode : 0o100000 | mode) << 16) >>> 0, 38);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    offset += 30 + name.length + body.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central directory
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

/** Writes a ZIP archive atomically (a temp file renamed into place; nothing is left behind on failure). */
export async function writeZip(path: string, entries: ZipFileEntry[]): Promise<void> {
  await writeFileAtomic(path, encodeZip(entries));
}
