import { usersAdd, usersList, usersRevoke } from '@segkit/server';
import { defineCommand, eager, requireOption } from '../command.js';
import { jsonOption, printResult } from '../util.js';
import { databaseOption, databaseUrlOf, dataDirOf, dataOption } from './team-options.js';

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
