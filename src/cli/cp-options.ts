/**
 * The `cp` command line: its spec (which is also its `--help`), and the translation of flags and arguments
 * into validated settings. Everything that can be checked before touching the network is checked here, and a
 * mistake is a usage error (exit 2) naming the flag or argument, its value and the expected form.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve, sep } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { DEFAULT_CHUNK_SIZE, DEFAULT_CONCURRENCY, MAX_CONCURRENCY, MIN_DOWNLOAD_RANGE, downloadRangeSize } from '../transfer/options.js';
import { MAX_PART_SIZE, MIN_PART_SIZE } from '../transfer/part-plan.js';
import { parseObjectRef, type ObjectRef } from '../transfer/object-ref.js';
import { defaultStateDir } from '../transfer/resume/journal-upload.js';
import type { AuthOption } from '../transport/create-transport.js';
import { booleanFlag, parseCommandLine, parseInteger, stringFlag, type CommandSpec } from './args.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import type { CliIo } from './io.js';
import { formatSize, parseDuration, parseSize } from './sizes.js';

/** Longest accepted timeout or retry budget: beyond a day it is a mistake (and past Node's timer range). */
const MAX_DURATION_MS = 24 * 60 * 60 * 1000;

export const CP_SPEC: CommandSpec = {
  command: 'gcs-transfer cp',
  usage: [
    'gcs-transfer cp [options] gs://BUCKET/OBJECT FILE|DIR/|-',
    'gcs-transfer cp [options] FILE|- gs://BUCKET/OBJECT|gs://BUCKET/',
  ],
  summary: [
    'Copies one object between Google Cloud Storage and a local file, or stdin/stdout (-). Downloads run many',
    'ranged GETs at once into FILE.gcs-transfer.partial, verified with CRC32C before the rename onto FILE; uploads are XML',
    'multipart uploads whose parts are hashed and sent in parallel. A file transfer that is interrupted (Ctrl-C,',
    'a crash, a lost connection) resumes when the same command is run again: finished parts are not sent again.',
  ].join('\n'),
  flags: {
    endpoint: {
      type: 'string',
      value: 'URL',
      description: 'Base URL of the GCS APIs (an emulator, a proxy)',
      default: '$STORAGE_EMULATOR_HOST or https://storage.googleapis.com',
    },
    'no-auth': { type: 'boolean', description: 'Send no credentials (public objects, emulators)' },
    'token-file': { type: 'string', value: 'PATH', description: 'Use the OAuth2 access token in PATH' },
    'token-env': { type: 'string', value: 'VAR', description: 'Use the OAuth2 access token in environment variable VAR' },
    'chunk-size': {
      type: 'string',
      value: 'SIZE',
      description: 'Range/part size: 16MiB, 1G, 512k or bytes (binary units); downloads >= 256KiB, uploads >= 5MiB, <= 5GiB',
      default: formatSize(DEFAULT_CHUNK_SIZE).replace(/\.0 /, '').replace(' ', ''),
    },
    concurrency: { type: 'string', short: 'j', value: 'N', description: `Requests in flight (1-${MAX_CONCURRENCY})`, default: String(DEFAULT_CONCURRENCY) },
    'no-checksum': { type: 'boolean', description: 'Skip CRC32C verification (not recommended)' },
    'require-checksum': { type: 'boolean', description: 'Fail (exit 4) when the server gives no CRC32C to verify against' },
    'content-type': { type: 'string', value: 'TYPE', description: 'Content-Type of an uploaded object', default: 'application/octet-stream' },
    'read-timeout': {
      type: 'string',
      value: 'DURATION',
      description: 'Cut and retry a request silent for this long (500ms, 30s, 2m)',
      default: '60s',
    },
    'max-retry-time': {
      type: 'string',
      value: 'DURATION',
      description: 'Retry budget of the whole transfer: all its requests share it (transient failures, throttling)',
      default: '10m',
    },
    'do-not-decompress': {
      type: 'boolean',
      description: 'Keep a gzip-stored object compressed (by default it is verified as stored, then decompressed)',
    },
    'no-resume': { type: 'boolean', description: 'Neither resume from nor save resume state' },
    restart: { type: 'boolean', description: 'Discard saved state (cancelling its upload) and start over' },
    'state-dir': {
      type: 'string',
      value: 'DIR',
      description: 'Where upload resume journals are kept',
      default: '$GCS_TRANSFER_STATE_DIR, $XDG_STATE_HOME/gcs-transfer or ~/.local/state/gcs-transfer',
    },
    quiet: { type: 'boolean', short: 'q', description: 'Print nothing but errors' },
    json: { type: 'boolean', description: 'Print the result (or error) as one JSON object on stdout (stderr when stdout is -)' },
  },
  positionals: { min: 2, max: 2 },
  epilogue: [
    'Resume: a download keeps FILE.gcs-transfer.partial and its journal (.json); an upload keeps a journal in the',
    'state directory and leaves its multipart upload open. Re-running the same command continues from there',
    '(stdin/stdout transfers cannot resume). If the source changed (another object generation, or the local',
    "file's size or modification time) the transfer starts over and says why.",
    '',
    'Authentication: Application Default Credentials for https endpoints; none for emulators and plain http.',
    '',
    'Examples:',
    '  gcs-transfer cp gs://my-bucket/big.bin ./big.bin',
    '  gcs-transfer cp -j 16 --chunk-size 64MiB ./big.bin gs://my-bucket/',
    '  tar c dir | gcs-transfer cp - gs://my-bucket/dir.tar',
    '',
    EXIT_CODES_HELP,
  ].join('\n'),
};

/** What `cp` will do, fully validated and resolved once: the parser returns it frozen. */
export interface CpOptions {
  direction: 'download' | 'upload';
  remote: ObjectRef;
  /** An absolute path, or `-` for stdin (upload) / stdout (download). */
  local: string;
  endpoint?: string;
  /** Undefined: the library's default (ADC for https, none for emulators). */
  auth?: AuthOption;
  /**
   * The range/part size asked for: `--chunk-size`, else the library's default. Not necessarily what is used:
   * downloads use {@link rangeSize}, uploads the part size `choosePartSize` makes of it for the file's size.
   */
  chunkSize: number;
  /** Whether `--chunk-size` was given (a note about the size used names the flag only then). */
  chunkSizeGiven: boolean;
  /** Downloads: the range size used, `chunkSize` raised to the smallest download range. */
  rangeSize: number;
  concurrency?: number;
  checksum: boolean;
  requireValidation: boolean;
  contentType?: string;
  readTimeoutMs?: number;
  /** Retry budget of each request, in ms. */
  maxRetryMs?: number;
  /** Downloads: decompress gzip-stored objects (after verifying the stored bytes). */
  decompress: boolean;
  /** `auto`: resume and save state; `restart`: discard saved state, then save; `off`: neither. */
  resume: 'auto' | 'restart' | 'off';
  stateDir: string;
  quiet: boolean;
  json: boolean;
}

/** Parses `cp`'s command line. Resolves `'help'` for `--help`. */
export async function parseCpOptions(argv: readonly string[], io: CliIo): Promise<Readonly<CpOptions> | 'help'> {
  const parsed = parseCommandLine(CP_SPEC, argv);
  if (booleanFlag(parsed, 'help')) return 'help';
  const [source = '', destination = ''] = parsed.positionals;
  const remoteIsSource = source.startsWith('gs://');
  const remoteIsDestination = destination.startsWith('gs://');
  if (remoteIsSource === remoteIsDestination) {
    throw new InvalidArgumentError(
      remoteIsSource
        ? `copies between two gs:// objects are not supported ('${source}' → '${destination}')`
        : `one of SRC and DST must be gs://BUCKET/OBJECT, got '${source}' and '${destination}'`,
    );
  }
  const direction = remoteIsSource ? 'download' : 'upload';
  const localArg = remoteIsSource ? destination : source;
  const remoteArg = remoteIsSource ? source : destination;

  const options: CpOptions = {
    direction,
    remote: parseRemote(remoteArg, localArg, direction),
    local: localArg === '-' ? '-' : await resolveLocal(localArg, remoteArg, direction, io.cwd),
    checksum: !booleanFlag(parsed, 'no-checksum'),
    requireValidation: booleanFlag(parsed, 'require-checksum'),
    decompress: !booleanFlag(parsed, 'do-not-decompress'),
    chunkSize: DEFAULT_CHUNK_SIZE,
    chunkSizeGiven: false,
    rangeSize: downloadRangeSize(DEFAULT_CHUNK_SIZE),
    resume: resumeMode(booleanFlag(parsed, 'no-resume'), booleanFlag(parsed, 'restart')),
    stateDir: resolve(io.cwd, stringFlag(parsed, 'state-dir') ?? defaultStateDir(io.env)),
    quiet: booleanFlag(parsed, 'quiet'),
    json: booleanFlag(parsed, 'json'),
  };
  if (!options.decompress && direction === 'upload') throw new InvalidArgumentError('--do-not-decompress applies to downloads only');
  if (!options.checksum && options.requireValidation) {
    throw new InvalidArgumentError('--no-checksum and --require-checksum contradict each other');
  }
  const endpoint = stringFlag(parsed, 'endpoint');
  if (endpoint !== undefined) options.endpoint = endpoint;
  const auth = await authFrom(parsed.values, io);
  if (auth !== undefined) options.auth = auth;
  const chunkSize = stringFlag(parsed, 'chunk-size');
  if (chunkSize !== undefined) {
    options.chunkSize = parseSize(chunkSize, '--chunk-size');
    if (options.chunkSize < 1 || options.chunkSize > MAX_PART_SIZE) {
      throw new InvalidArgumentError(
        `--chunk-size: expected a size from 1 byte to 5GiB (GCS's largest part), got '${chunkSize}' ` +
          `(downloads use at least ${formatSize(MIN_DOWNLOAD_RANGE)}, uploads at least ${formatSize(MIN_PART_SIZE)})`,
      );
    }
    options.chunkSizeGiven = true;
    options.rangeSize = downloadRangeSize(options.chunkSize);
  }
  const concurrency = stringFlag(parsed, 'concurrency');
  if (concurrency !== undefined) options.concurrency = parseInteger(concurrency, '--concurrency', { min: 1, max: MAX_CONCURRENCY });
  const contentType = stringFlag(parsed, 'content-type');
  if (contentType !== undefined) {
    if (direction === 'download') throw new InvalidArgumentError('--content-type applies to uploads only');
    options.contentType = contentType;
  }
  const readTimeout = stringFlag(parsed, 'read-timeout');
  if (readTimeout !== undefined) {
    options.readTimeoutMs = parseDuration(readTimeout, '--read-timeout');
    if (options.readTimeoutMs < 1 || options.readTimeoutMs > MAX_DURATION_MS) {
      throw new InvalidArgumentError(`--read-timeout: expected a duration from 1ms to 24h, got '${readTimeout}'`);
    }
  }
  const maxRetryTime = stringFlag(parsed, 'max-retry-time');
  if (maxRetryTime !== undefined) {
    options.maxRetryMs = parseDuration(maxRetryTime, '--max-retry-time');
    if (options.maxRetryMs > MAX_DURATION_MS) {
      throw new InvalidArgumentError(`--max-retry-time: expected a duration from 0 to 24h, got '${maxRetryTime}'`);
    }
  }
  return Object.freeze(options);
}

function resumeMode(noResume: boolean, restart: boolean): CpOptions['resume'] {
  if (noResume && restart) {
    throw new InvalidArgumentError('--no-resume and --restart contradict each other (--restart saves new state; --no-resume saves none)');
  }
  return noResume ? 'off' : restart ? 'restart' : 'auto';
}

/**
 * An upload to `gs://bucket` or to a name ending in `/` takes the local file's name, as `cp file dir/` does.
 */
function parseRemote(remote: string, local: string, direction: CpOptions['direction']): ObjectRef {
  let value = remote;
  if (direction === 'upload' && (remote.endsWith('/') || /^gs:\/\/[^/]+$/.test(remote))) {
    if (local === '-') throw new InvalidArgumentError(`an upload from stdin needs an object name: gs://BUCKET/OBJECT, got '${remote}'`);
    value = `${remote.replace(/\/?$/, '/')}${basename(local)}`;
  }
  try {
    return parseObjectRef(value, direction === 'download' ? 'SRC' : 'DST');
  } catch (error) {
    // The library's message already says what is wrong; it becomes this one's tail rather than a cause line.
    throw new InvalidArgumentError(`'${remote}' is not a valid gs://BUCKET/OBJECT: ${(error as Error).message}`);
  }
}

/**
 * The local path, absolute. For a download into a directory (an existing one, or a path ending in `/`), the
 * object's last name segment is appended, as `cp` does.
 */
async function resolveLocal(local: string, remote: string, direction: CpOptions['direction'], cwd: string): Promise<string> {
  const path = resolve(cwd, local);
  if (direction === 'upload') return path;
  const isDirectory = local.endsWith('/') || local.endsWith(sep) || (await stat(path).then((s) => s.isDirectory(), () => false));
  if (!isDirectory) return path;
  const name = remote.replace(/^gs:\/\/[^/]*\//, '').split('/').at(-1) ?? '';
  if (name === '' || name === '.' || name === '..') {
    throw new InvalidArgumentError(`cannot name a file in directory '${local}' after '${remote}': give a file name as DST`);
  }
  return resolve(path, name);
}

/** The auth flags, which exclude each other. Token values are never echoed, only where they came from. */
export async function authFrom(values: Record<string, string | boolean | undefined>, io: CliIo): Promise<AuthOption | undefined> {
  const given = ['no-auth', 'token-file', 'token-env'].filter((flag) => values[flag] !== undefined && values[flag] !== false);
  if (given.length > 1) throw new InvalidArgumentError(`choose one of --${given.join(', --')}`);
  if (values['no-auth'] === true) return 'none';
  const file = values['token-file'];
  if (typeof file === 'string') {
    let text: string;
    try {
      text = await readFile(resolve(io.cwd, file), 'utf8');
    } catch (error) {
      throw new InvalidArgumentError(`--token-file: cannot read '${file}' (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return { token: singleToken(text, `--token-file '${file}'`) };
  }
  const variable = values['token-env'];
  if (typeof variable === 'string') {
    const text = io.env[variable];
    if (text === undefined || text.trim() === '') {
      throw new InvalidArgumentError(`--token-env: environment variable ${variable} is not set or empty`);
    }
    return { token: singleToken(text, `--token-env ${variable}`) };
  }
  return undefined;
}

/** One token, surrounding whitespace ignored; anything else is refused (it would corrupt the header). */
function singleToken(text: string, origin: string): string {
  const token = text.trim();
  if (token === '' || /\s/.test(token)) {
    throw new InvalidArgumentError(`${origin}: expected exactly one access token (no spaces or line breaks), got ${token.length} characters`);
  }
  return token;
}
