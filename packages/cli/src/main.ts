import {
  asNativeModuleError,
  InvalidArgumentError,
  isSegkitError,
  removePendingTemps,
  UsageError,
} from '@segkit/core';
import { type Command, type Io, parseCommandArgs, renderHelp } from './command.js';
import { rootCommand } from './root.js';

const VERSION = '0.1.0';

/** Default I/O: the process streams. */
export const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
};

/**
 * Ctrl-C (SIGINT) or SIGTERM: remove the temporary files still being written, print one line and exit with
 * 128 + the signal number, so an interrupted command leaves no half-written files. Finished files stay (an
 * interrupted `segkit analyze` resumes from them).
 */
export function exitCleanlyOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      removePendingTemps();
      process.stderr.write(`segkit: interrupted (${signal})\n`, () => process.exit(code));
    });
  }
}

/**
 * Runs the CLI in-process and returns the exit status: 0 on success, 2 for a user error
 * (printed as one line `segkit: E_CODE: message`), 1 for an internal bug (printed in full).
 */
export async function runCli(argv: string[], io: Io = processIo): Promise<number> {
  try {
    try {
      process.cwd();
    } catch {
      // Started from a folder that has since been deleted: relative paths cannot resolve (and some libraries
      // would retry forever), so stop at once.
      throw new InvalidArgumentError('The current directory no longer exists; cd into an existing folder');
    }
    let cmd: Command = rootCommand;
    let path = 'segkit';
    let rest = argv;
    if (rest[0] === '--version' || rest[0] === '-v') {
      io.stdout(`${VERSION}\n`);
      return 0;
    }
    while (cmd.subcommands) {
      const [head, ...tail] = rest;
      // A command with its own `run` (such as `eval`) runs itself unless a subcommand is named.
      if (cmd.run && (head === undefined || !Object.hasOwn(cmd.subcommands, head))) break;
      if (head === undefined || head === '--help' || head === '-h') {
        io.stdout(renderHelp(cmd, path));
        return head === undefined ? 2 : 0;
      }
      const sub = Object.hasOwn(cmd.subcommands, head) ? cmd.subcommands[head] : undefined;
      if (!sub) {
        const names = Object.keys(cmd.subcommands).join(', ');
        throw new UsageError(
          `Unknown command ${JSON.stringify(head)} for ${path}; expected one of: ${names}`,
        );
      }
      cmd = await sub.load();
      path = `${path} ${head}`;
      rest = tail;
    }
    const { positionals, options, help } = parseCommandArgs(cmd, rest, path);
    if (help) {
      io.stdout(renderHelp(cmd, path));
      return 0;
    }
    const status = await cmd.run!({ positionals, options, io });
    return typeof status === 'number' ? status : 0;
  } catch (caught) {
    // A native module that cannot load is an installation problem with a known fix, not a bug.
    const e = asNativeModuleError(caught) ?? caught;
    if (isSegkitError(e)) {
      io.stderr(`segkit: ${e.code}: ${e.message.split('\n')[0]}\n`);
      return 2;
    }
    io.stderr(
      `segkit: internal error (please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return 1;
  }
}
