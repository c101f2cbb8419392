/**
 * Command-line parsing on `node:util`'s `parseArgs`, driven by one declarative spec per command so that the
 * parser, the `--help` text and the error messages can never disagree. Every failure is an
 * `InvalidArgumentError` that names the flag, the value and the expected form (exit code 2); the caller
 * prefixes the command's name when it prints it.
 */
import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '../errors.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help for a string flag's value, e.g. `SIZE`. */
  value?: string;
  /** One line of help. */
  description: string;
  /** The default as shown in help (the real default lives in code). */
  default?: string;
}

export interface CommandSpec {
  /** `gcs-transfer cp`, as shown in usage and error messages. */
  command: string;
  /** The synopsis lines after `Usage:`. */
  usage: string[];
  /** A paragraph describing the command. */
  summary: string;
  flags: Record<string, FlagSpec>;
  /** How many positional arguments the command takes. */
  positionals: { min: number; max: number };
  /** Extra help text printed after the flags (examples, exit codes, ...). */
  epilogue?: string;
}

export interface ParsedCommandLine {
  /** Flags by long name; booleans are `true` when given, strings hold the last value given. */
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses `argv` (without the command name) against `spec`. `--help` is always accepted. */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): ParsedCommandLine {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, flag] of Object.entries(spec.flags)) {
    options[name] = flag.short === undefined ? { type: flag.type } : { type: flag.type, short: flag.short };
  }
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageErrorFrom(spec, error);
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    values[name] = Array.isArray(value) ? value.at(-1) : value;
  }
  if (values.help === true) return { values, positionals: parsed.positionals };
  const count = parsed.positionals.length;
  if (count < spec.positionals.min || count > spec.positionals.max) {
    const expected =
      spec.positionals.min === spec.positionals.max
        ? `${spec.positionals.min}`
        : spec.positionals.max >= Number.MAX_SAFE_INTEGER
          ? `at least ${spec.positionals.min}`
          : `${spec.positionals.min} to ${spec.positionals.max}`;
    throw new InvalidArgumentError(
      `expected ${expected} argument${spec.positionals.max === 1 ? '' : 's'}, got ${count}` +
        (count > 0 ? ` (${parsed.positionals.map((p) => `'${p}'`).join(' ')})` : '') +
        `\nUsage: ${spec.usage[0] ?? spec.command}`,
    );
  }
  return { values, positionals: parsed.positionals };
}

/** A string flag's value, or undefined when absent. */
export function stringFlag(parsed: ParsedCommandLine, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Whether a boolean flag was given. */
export function booleanFlag(parsed: ParsedCommandLine, name: string): boolean {
  return parsed.values[name] === true;
}

/**
 * Parses a whole number within `[min, max]`.
 * @throws InvalidArgumentError naming the flag, the value and the range.
 */
export function parseInteger(value: string, flag: string, range: { min: number; max: number }): number {
  const number = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < range.min || number > range.max) {
    throw new InvalidArgumentError(
      `${flag}: expected a whole number from ${range.min} to ${range.max}, got '${value}'`,
    );
  }
  return number;
}

/** Renders the `--help` text of a command from its spec. */
export function renderHelp(spec: CommandSpec): string {
  const rows: [string, string][] = Object.entries(spec.flags).map(([name, flag]) => {
    const short = flag.short === undefined ? '    ' : `-${flag.short}, `;
    const value = flag.type === 'string' ? ` ${flag.value ?? 'VALUE'}` : '';
    const description = flag.default === undefined ? flag.description : `${flag.description} [default: ${flag.default}]`;
    return [`${short}--${name}${value}`, description];
  });
  rows.push(['-h, --help', 'Show this help and exit']);
  const width = Math.max(...rows.map(([left]) => left.length));
  const lines = [
    `Usage: ${spec.usage[0] ?? spec.command}`,
    ...spec.usage.slice(1).map((line) => `       ${line}`),
    '',
    spec.summary,
    '',
    'Options:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
  ];
  if (spec.epilogue) lines.push('', spec.epilogue);
  return `${lines.join('\n')}\n`;
}

/** Rewrites a `parseArgs` failure as a usage error that points at `--help` and suggests a near flag. */
function usageErrorFrom(spec: CommandSpec, error: unknown): InvalidArgumentError {
  const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
  const code = (error as { code?: unknown }).code;
  let hint = `Try '${spec.command} --help'.`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    // Node's message quotes the flag oddly and explains '--' for positionals; say it plainly, once.
    const unknown = /'(-[^']*)'/.exec(message)?.[1] ?? '';
    const flag = unknown.split('=')[0] ?? unknown;
    const gcloud = GCLOUD_ONLY_FLAGS[flag];
    if (gcloud !== undefined) {
      return new InvalidArgumentError(`unknown flag '${flag}': a 'gcloud storage cp' flag that ${spec.command} does not have (${gcloud}). ${hint}`);
    }
    const suggestion = nearestFlag(unknown, Object.keys(spec.flags));
    if (suggestion !== undefined) hint = `Did you mean '--${suggestion}'? ${hint}`;
    return new InvalidArgumentError(`unknown flag '${flag}'. ${hint}`);
  } else if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /ambiguous/.test(message)) {
    // Node's own advice is on the following lines; keep it, it names the `--flag=-value` form.
    hint = `${(error as Error).message.split('\n').slice(1).join(' ')} ${hint}`;
  }
  return new InvalidArgumentError(`${message}. ${hint}`, { cause: error });
}

/**
 * Flags of `gcloud storage cp` (and their gsutil short forms) that users bring along, with what to do instead.
 * Only flags whose absence needs explaining are listed; a typo of one of ours gets a "did you mean".
 */
const GCLOUD_ONLY_FLAGS: Record<string, string> = {
  '-R': 'spell it -r or --recursive',
  '--preserve-posix': 'file modes follow cp: a new file gets the umask mode, a replaced file keeps its mode',
  '-P': 'file modes follow cp: a new file gets the umask mode, a replaced file keeps its mode',
  '--gzip-in-flight': 'objects are sent as they are',
  '-J': 'objects are sent as they are',
  '--gzip-local': 'objects are stored as they are',
  '-Z': 'objects are stored as they are',
  '--cache-control': 'object metadata other than the content type is not set',
  '--content-encoding': 'object metadata other than the content type is not set',
  '--custom-metadata': 'object metadata other than the content type is not set',
  '--storage-class': "objects get the bucket's default storage class",
  '-s': "objects get the bucket's default storage class",
  '--predefined-acl': "objects get the bucket's default ACL",
  '-a': "objects get the bucket's default ACL",
  '--if-generation-match': 'preconditions are not supported (XML multipart uploads cannot carry them)',
  '--daisy-chain': 'copies between two gs:// objects are not supported',
  '-D': 'copies between two gs:// objects are not supported',
  '--manifest-path': 'the --json result describes the copy instead',
  '--all-versions': 'it copies the live version of one object',
  '-A': 'it copies the live version of one object',
};

/** The known flag closest to `given` by edit distance, if it is close enough to be a typo. */
function nearestFlag(given: string, known: string[]): string | undefined {
  const name = given.replace(/^-+/, '').split('=')[0] ?? '';
  let best: { flag: string; distance: number } | undefined;
  for (const flag of known) {
    const distance = editDistance(name, flag);
    if (best === undefined || distance < best.distance) best = { flag, distance };
  }
  return best !== undefined && best.distance <= Math.max(1, Math.floor(name.length / 3)) ? best.flag : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
