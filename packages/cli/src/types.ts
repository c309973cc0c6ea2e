/** Where a command writes; tests pass their own to run commands in-process. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is an interactive terminal (progress bars, notices). */
  isTTY?: boolean;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  multiple?: boolean;
  /** Placeholder shown in help, e.g. `N`. */
  valueName?: string;
  default?: string | boolean;
  /** Other names accepted for this option (older spellings); their values land under the main name. */
  aliases?: readonly string[];
}

export interface PositionalSpec {
  name: string;
  description: string;
  optional?: boolean;
  variadic?: boolean;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  positionals: string[];
  options: OptionValues;
  io: Io;
}

/** A command, or a group of lazily loaded subcommands. */
export interface Command {
  name: string;
  description: string;
  positionals?: PositionalSpec[];
  options?: Record<string, OptionSpec>;
  examples?: string[];
  /** Runs the command; a number returned is the exit status (default 0). */
  // biome-ignore lint/suspicious/noConfusingVoidType: most commands return nothing; a few return an exit status
  run?: (ctx: CommandContext) => Promise<void | number>;
  /** Subcommands: a one-line summary for help, and a loader so a command's module is imported only when used. */
  subcommands?: Record<string, { summary: string; load: () => Promise<Command> }>;
}
