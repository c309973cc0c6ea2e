import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '@segkit/core';
import { usersAdd, usersList, usersRevoke } from '@segkit/server';
import { defineCommand, eager, requireOption } from '../command.js';
import { jsonOption, printResult } from '../util.js';

/** `--data DIR`, the server's data directory (default ~/.segkit/server, as `segkit serve`). */
export const dataOption = {
  data: {
    type: 'string',
    valueName: 'DIR',
    description: 'The server data directory (default ~/.segkit/server)',
  },
} as const;
export const dataDirOf = (options: Record<string, unknown>) =>
  typeof options.data === 'string' ? options.data : join(homedir(), '.segkit', 'server');

/** The team set-up's database: `--db postgres://…`, else SEGKIT_DATABASE_URL; none is the data directory's SQLite. */
export const databaseOption = {
  db: {
    type: 'string',
    valueName: 'URL',
    description:
      'A PostgreSQL database (postgres://user:pass@host:5432/db) instead of the SQLite file (env SEGKIT_DATABASE_URL)',
  },
} as const;
/** The team set-up's blob store: `--blobs s3://bucket/prefix`, else SEGKIT_BLOBS_URL; none is the data directory. */
export const blobsOption = {
  blobs: {
    type: 'string',
    valueName: 'S3_URL',
    description:
      'An S3 bucket for image and export blobs (s3://bucket/prefix; endpoint and keys from the AWS_* variables) instead of the data directory (env SEGKIT_BLOBS_URL)',
  },
} as const;
export const blobsUrlOf = (options: Record<string, unknown>): string | undefined =>
  typeof options.blobs === 'string' ? options.blobs : process.env.SEGKIT_BLOBS_URL || undefined;

export function databaseUrlOf(options: Record<string, unknown>): string | undefined {
  const url = typeof options.db === 'string' ? options.db : process.env.SEGKIT_DATABASE_URL || undefined;
  if (url !== undefined && !/^postgres(ql)?:\/\/[^/\s]/i.test(url))
    throw new UsageError(
      `--db must be a PostgreSQL URL such as postgres://segkit@127.0.0.1:5432/segkit, not ${JSON.stringify(url)}`,
    );
  return url;
}

const add = defineCommand({
  name: 'add',
  description: 'Add a user (or give one a new token) and print the token, shown once.',
  positionals: [{ name: 'name', description: 'The user name' }],
  options: {
    role: { type: 'string', valueName: 'ROLE', description: 'admin, annotator or viewer (required)' },
    ...dataOption,
    ...databaseOption,
  },
  examples: ['segkit users add ada --role annotator --data /tmp/segkit-data'],
  async run({ positionals, options, io }) {
    const role = requireOption(options, 'role', 'segkit users add');
    const token = await usersAdd(dataDirOf(options), positionals[0]!, role, databaseUrlOf(options));
    io.stdout(`${token}\n`);
    io.stderr(`added ${positionals[0]} (${role}); give them the token above, it is not shown again\n`);
  },
});

const list = defineCommand({
  name: 'list',
  description: 'List the users, their roles and how many live tokens each has.',
  options: { ...dataOption, ...databaseOption, ...jsonOption },
  examples: ['segkit users list --data /tmp/segkit-data'],
  async run({ options, io }) {
    const users = await usersList(dataDirOf(options), databaseUrlOf(options));
    printResult(io, options, users, () =>
      users
        .map((u) => `${u.name.padEnd(20)}${u.role.padEnd(11)}${u.tokens} token${u.tokens === 1 ? '' : 's'}\n`)
        .join(''),
    );
  },
});

const revoke = defineCommand({
  name: 'revoke',
  description: 'Revoke every token of a user (their requests get 401 from then on).',
  positionals: [{ name: 'name', description: 'The user name' }],
  options: { ...dataOption },
  examples: ['segkit users revoke ada --data /tmp/segkit-data'],
  async run({ positionals, options, io }) {
    const n = await usersRevoke(dataDirOf(options), positionals[0]!, databaseUrlOf(options));
    io.stderr(`revoked ${n} token${n === 1 ? '' : 's'} of ${positionals[0]}\n`);
  },
});

export const usersCommand = defineCommand({
  name: 'users',
  description: 'Manage the server’s users and tokens: add, list, revoke.',
  subcommands: { add: eager(add), list: eager(list), revoke: eager(revoke) },
});
