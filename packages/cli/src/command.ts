import { parseArgs } from 'node:util';
import { UsageError } from '@segkit/core';
import type { Dtype } from '@segkit/models';
import type { Command, OptionSpec, OptionValues } from './types.js';

export type { Command, CommandContext, Io, OptionSpec, OptionValues, PositionalSpec } from './types.js';

/** Declares a command (an identity function that gives editors the types). */
export const defineCommand = (c: Command): Command => c;

/** Registers an already-loaded command as a subcommand, summarised by its description. */
export const eager = (c: Command) => ({ summary: c.description, load: async () => c });

/** One help row: `left` padded to `width` then `text`; a longer `left` gets `text` on the next line, aligned. */
const row = (left: string, width: number, text: string) =>
  left.length <= width - 2 ? `${left.padEnd(width)}${text}` : `${left}\n${' '.repeat(width)}${text}`;

/** Renders `--help` text for a command; `path` is the full command path such as `segkit mask rle`. */
export function renderHelp(cmd: Command, path: string): string {
  const lines: string[] = [`${cmd.description}`, ''];
  if (cmd.subcommands && !cmd.run) {
    lines.push(`Usage: ${path} <command> [options]`, '', 'Commands:');
    for (const [name, sub] of Object.entries(cmd.subcommands)) lines.push(row(`  ${name}`, 24, sub.summary));
    lines.push('', `Run \`${path} <command> --help\` for a command's options.`);
  } else {
    const pos = (cmd.positionals ?? [])
      .map((p) => {
        const n = p.variadic ? `${p.name}...` : p.name;
        return p.optional ? `[${n}]` : `<${n}>`;
      })
      .join(' ');
    lines.push(`Usage: ${path}${pos ? ` ${pos}` : ''} [options]`);
    if (cmd.positionals?.length) {
      lines.push('', 'Arguments:');
      for (const p of cmd.positionals) lines.push(row(`  ${p.name}`, 24, p.description));
    }
  }
  if (cmd.subcommands && cmd.run) {
    lines.push('', 'Subcommands:');
    for (const [name, sub] of Object.entries(cmd.subcommands))
      lines.push(row(`  ${path} ${name}`, 26, sub.summary));
  }
  lines.push('', 'Options:');
  const opts: [string, OptionSpec][] = [
    ...Object.entries(cmd.options ?? {}),
    ['help', { type: 'boolean', short: 'h', description: 'Show this help' }],
  ];
  for (const [name, o] of opts) {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : ''}`;
    const extra = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : '';
    const rep = o.multiple ? ' (repeatable)' : '';
    const alias = o.aliases?.length ? ` (also ${o.aliases.map((a) => `--${a}`).join(', ')})` : '';
    lines.push(row(`  ${flag}`, 28, `${o.description}${extra}${rep}${alias}`));
  }
  if (cmd.examples?.length) {
    lines.push('', 'Examples:');
    for (const e of cmd.examples) lines.push(`  ${e}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Parses argv for a leaf command, turning parser failures into one-line `E_USAGE` errors. */
export function parseCommandArgs(
  cmd: Command,
  argv: string[],
  path: string,
): { positionals: string[]; options: OptionValues; help: boolean } {
  const options: Record<
    string,
    { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }
  > = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(cmd.options ?? {})) {
    options[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
    if (o.default !== undefined) options[name]!.default = o.default;
    for (const alias of o.aliases ?? [])
      options[alias] = { type: o.type, ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(`${msg} (see \`${path} --help\`)`);
  }
  for (const [name, o] of Object.entries(cmd.options ?? {})) {
    for (const alias of o.aliases ?? []) {
      const v = parsed.values[alias];
      if (v === undefined) continue;
      delete parsed.values[alias];
      const given = parsed.values[name];
      if (given !== undefined && given !== o.default) {
        if (!o.multiple)
          throw new UsageError(
            `--${alias} and --${name} are the same option; give one (see \`${path} --help\`)`,
          );
        parsed.values[name] = [...(given as string[]), ...(v as string[])];
      } else parsed.values[name] = v;
    }
  }
  const help = parsed.values.help === true;
  if (help) return { positionals: parsed.positionals, options: parsed.values as OptionValues, help };
  const specs = cmd.positionals ?? [];
  const required = specs.filter((p) => !p.optional).length;
  const variadic = specs.some((p) => p.variadic);
  if (parsed.positionals.length < required) {
    const missing = specs[parsed.positionals.length]!;
    throw new UsageError(`Missing argument <${missing.name}> (see \`${path} --help\`)`);
  }
  if (!variadic && parsed.positionals.length > specs.length) {
    throw new UsageError(
      `Unexpected argument ${JSON.stringify(parsed.positionals[specs.length])} (see \`${path} --help\`)`,
    );
  }
  return { positionals: parsed.positionals, options: parsed.values as OptionValues, help };
}

/** Returns a required string option, or throws `E_USAGE`. */
export function requireOption(options: OptionValues, name: string, path: string): string {
  const v = options[name];
  if (typeof v !== 'string' || v === '')
    throw new UsageError(`Missing required option --${name} (see \`${path} --help\`)`);
  return v;
}

/** Parses a numeric option, or throws `E_USAGE` naming the flag. */
const DTYPES: Dtype[] = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4'];

/** `--dtype`: which weight file of a repo or folder to load (`onnx/model_quantized.onnx` for q8, …). */
export const dtypeSpec = {
  type: 'string',
  valueName: 'TYPE',
  description: 'Weight variant of a repo or folder: fp32, fp16, q8, … (presets pick their own)',
} as const;

/** `--dtype`'s value, checked; absent when not given. */
export function dtypeOption(options: OptionValues): { dtype?: Dtype } {
  const v = options.dtype;
  if (typeof v !== 'string') return {};
  if (!DTYPES.includes(v as Dtype)) throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}`);
  return { dtype: v as Dtype };
}

export function numberOption(
  options: OptionValues,
  name: string,
  fallback: number,
  min = -Infinity,
  max = Infinity,
): number {
  const v = options[name];
  if (v === undefined) return fallback;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number between ${min} and ${max}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/**
 * Parses a comma-separated list of numbers ("x,y", "0.3,0.4", "70,15,15"), or throws `E_USAGE` naming the flag and
 * what it expects. Empty items are errors, not zeros.
 */
export function numberList(
  value: string,
  flag: string,
  rule: { what: string; count?: number; min?: number; max?: number },
): number[] {
  const parts = value.split(',').map((v) => v.trim());
  const nums = parts.map(Number);
  const bad =
    (rule.count !== undefined && parts.length !== rule.count) ||
    parts.some((p) => p === '') ||
    nums.some((n) => !Number.isFinite(n) || n < (rule.min ?? -Infinity) || n > (rule.max ?? Infinity));
  if (bad) throw new UsageError(`${flag} expects ${rule.what}, got ${JSON.stringify(value)}`);
  return nums;
}
