import { UsageError } from '@segkit/core';
import { backupDatabase, copyDatabase, doctor, restoreDatabase } from '@segkit/server';
import { defineCommand, eager, requireOption } from '../command.js';
import { jsonOption, printResult } from '../util.js';
import {
  blobsOption,
  blobsUrlOf,
  databaseOption,
  databaseUrlOf,
  dataDirOf,
  dataOption,
} from './team-options.js';

/** Backup and restore copy the SQLite file; a PostgreSQL database is backed up with its own tools. */
function sqliteOnly(what: 'backup' | 'restore') {
  if (process.env.SEGKIT_DATABASE_URL)
    throw new UsageError(
      `segkit db ${what} copies the SQLite file, but SEGKIT_DATABASE_URL names a PostgreSQL database: use ${what === 'backup' ? 'pg_dump -Fc' : 'pg_restore'} (docs/deploy.md)`,
    );
}

const backup = defineCommand({
  name: 'backup',
  description:
    'An online, consistent copy of the server database (SQLite backup API), safe while segkit serve is running.',
  positionals: [{ name: 'file', description: 'Where to write the backup' }],
  options: { ...dataOption },
  examples: ['segkit db backup backups/segkit-2026-12-02.db --data /tmp/segkit-data'],
  async run({ positionals, options, io }) {
    sqliteOnly('backup');
    const r = await backupDatabase(dataDirOf(options), positionals[0]!);
    io.stderr(`backed up ${r.pages} pages (${r.bytes} bytes) to ${positionals[0]}\n`);
  },
});

const restore = defineCommand({
  name: 'restore',
  description:
    'Replace the server database with a backup (checked first; the old one is kept as segkit.db.before-restore). Stop the server first.',
  positionals: [{ name: 'file', description: 'A file written by segkit db backup' }],
  options: { ...dataOption },
  examples: ['segkit db restore backups/segkit-2026-12-02.db --data /tmp/segkit-data'],
  async run({ positionals, options, io }) {
    sqliteOnly('restore');
    await restoreDatabase(dataDirOf(options), positionals[0]!);
    io.stderr(`restored ${positionals[0]}; run segkit doctor to check it against the blobs\n`);
  },
});

const copy = defineCommand({
  name: 'copy',
  description:
    'Copy a data directory (SQLite database and blobs) into an empty PostgreSQL database and, with --blobs, an S3 bucket; counts and hashes are checked, and an interrupted copy can be run again. Stop the server first.',
  options: {
    ...dataOption,
    to: {
      type: 'string',
      valueName: 'URL',
      description: 'The PostgreSQL database to fill (postgres://user:pass@host:5432/db); it must be empty',
    },
    ...blobsOption,
    ...jsonOption,
  },
  examples: [
    'segkit db copy --data /tmp/segkit-data --to postgres://segkit@127.0.0.1:5432/segkit',
    'segkit db copy --data ~/.segkit/server --to postgres://segkit@db/segkit --blobs s3://segkit/blobs',
  ],
  async run({ options, io }) {
    const to = databaseUrlOf({ db: requireOption(options, 'to', 'segkit db copy') });
    const r = await copyDatabase(dataDirOf(options), {
      to: to!,
      blobs: blobsUrlOf(options),
      onProgress: (line) => io.stderr(`${line}\n`),
    });
    printResult(io, options, r, () => {
      const rows = Object.values(r.tables).reduce((a, b) => a + b, 0);
      return `copied ${rows} rows in ${Object.keys(r.tables).length} tables and ${r.blobs.written} of ${r.blobs.total} blobs; counts and hashes match\n`;
    });
  },
});

export const dbCommand = defineCommand({
  name: 'db',
  description: 'Back up, restore and copy the server database.',
  subcommands: { backup: eager(backup), restore: eager(restore), copy: eager(copy) },
});

export const doctorCommand = defineCommand({
  name: 'doctor',
  description:
    'Check a server data directory: database integrity and every blob against its hash (exit 3 when damaged), then orphaned blobs, stuck job leases and leftover temporary files (reported; --fix removes orphans and temp files).',
  options: {
    ...dataOption,
    ...databaseOption,
    ...blobsOption,
    fix: { type: 'boolean', description: 'Remove orphaned blobs and leftover temporary files' },
    ...jsonOption,
  },
  examples: [
    'segkit doctor --data /tmp/segkit-data',
    'segkit doctor --fix --data /tmp/segkit-data',
    'segkit doctor --db postgres://segkit@127.0.0.1:5432/segkit --data /srv/segkit',
  ],
  async run({ options, io }) {
    const r = await doctor(dataDirOf(options), {
      fix: options.fix === true,
      databaseUrl: databaseUrlOf(options),
      blobs: blobsUrlOf(options),
    });
    printResult(io, options, r, () => {
      const lines = [
        `integrity      ${r.integrity.join('; ')}`,
        `blobs          ${r.blobs.checked} checked, ${r.blobs.missing.length} missing, ${r.blobs.corrupt.length} corrupt`,
        `orphaned blobs ${r.orphans.length}`,
        `stuck jobs     ${r.stuckJobs.length}${r.stuckJobs.length ? ` (${r.stuckJobs.map((j) => `#${j.id} ${j.kind}`).join(', ')}; segkit serve resumes them)` : ''}`,
        `temp files     ${r.temps.length}`,
      ];
      for (const k of r.blobs.missing) lines.push(`  missing blob ${k}`);
      for (const k of r.blobs.corrupt) lines.push(`  corrupt blob ${k}`);
      if (r.fixed.length)
        lines.push(
          `removed ${r.fixed.length}: ${r.fixed.slice(0, 5).join(', ')}${r.fixed.length > 5 ? ', …' : ''}`,
        );
      if (!r.ok)
        lines.push(
          'damaged: restore the database from a backup (segkit db restore) or the blobs from a copy',
        );
      else if (!r.tidy)
        lines.push(
          `ok, with leftovers of a crash: ${r.fixed.length ? 'removed above' : 'segkit doctor --fix removes orphans and temp files; segkit serve resumes stuck jobs'}`,
        );
      else lines.push('ok');
      return `${lines.join('\n')}\n`;
    });
    if (!r.ok) return 3;
  },
});
