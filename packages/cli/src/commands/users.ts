import { homedir } from 'node:os';
import { join } from 'node:path';
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

const add = defineCommand({
  name: 'add',
  description: 'Add a user (or give one a new token) and print the token, shown once.',
  positionals: [{ name: 'name', description: 'The user name' }],
  options: {
    role: { type: 'string', valueName: 'ROLE', description: 'admin, annotator or viewer (required)' },
    ...dataOption,
  },
  examples: ['segkit users add ada --role annotator --data /tmp/segkit-data'],
  async run({ positionals, options, io }) {
    const role = requireOption(options, 'role', 'segkit users add');
    const token = await usersAdd(dataDirOf(options), positionals[0]!, role);
    io.stdout(`${token}\n`);
    io.stderr(`added ${positionals[0]} (${role}); give them the token above, it is not shown again\n`);
  },
});

const list = defineCommand({
  name: 'list',
  description: 'List the users, their roles and how many live tokens each has.',
  options: { ...dataOption, ...jsonOption },
  examples: ['segkit users list --data /tmp/segkit-data'],
  async run({ options, io }) {
    const users = await usersList(dataDirOf(options));
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
    const n = await usersRevoke(dataDirOf(options), positionals[0]!);
    io.stderr(`revoked ${n} token${n === 1 ? '' : 's'} of ${positionals[0]}\n`);
  },
});

export const usersCommand = defineCommand({
  name: 'users',
  description: 'Manage the server’s users and tokens: add, list, revoke.',
  subcommands: { add: eager(add), list: eager(list), revoke: eager(revoke) },
});
