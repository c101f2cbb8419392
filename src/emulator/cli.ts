/**
 * `gcs-transfer emulator`: runs the emulator in the foreground. Prints exactly one line,
 * `listening on http://HOST:PORT`, once it accepts connections, and serves until SIGINT or SIGTERM.
 */
import { InvalidArgumentError } from '../errors.js';
import { parseCommandLine, parseInteger, renderHelp, stringFlag, type CommandSpec } from '../cli/args.js';
import { parseDuration, parseSize } from '../cli/sizes.js';
import { startEmulator, type EmulatorOptions } from './index.js';
import type { ShapingOptions } from './shaping.js';

const SPEC: CommandSpec = {
  command: 'gcs-transfer emulator',
  usage: ['gcs-transfer emulator [--port PORT] [--dir DIR] [--host HOST] [shaping flags]'],
  summary:
    'Runs a local GCS emulator (JSON API with batch, XML API with multipart upload) until interrupted. Objects live in DIR ' +
    '(a temp directory removed on exit by default). Faults: send `x-emulator-fault: <spec>` on a request, or POST ' +
    'a rule to /_emulator/faults; metrics at GET /_emulator/metrics.',
  flags: {
    port: { type: 'string', value: 'PORT', description: 'TCP port; 0 picks a free one', default: '0' },
    dir: { type: 'string', value: 'DIR', description: 'Directory for objects (kept on exit)', default: 'a temp dir' },
    host: { type: 'string', value: 'HOST', description: 'Address to bind', default: '127.0.0.1' },
    'per-connection-rate': { type: 'string', value: 'SIZE', description: 'Bandwidth cap per connection and direction, per second (e.g. 40MiB)' },
    'aggregate-rate': { type: 'string', value: 'SIZE', description: 'Bandwidth cap over all connections, per direction, per second (e.g. 1GiB)' },
    'first-byte-delay': { type: 'string', value: 'DURATION', description: 'Delay before every response (e.g. 20ms, 1s, or milliseconds)', default: '0' },
  },
  positionals: { min: 0, max: 0 },
};

/** `40MiB`, `40MiB/s` or `41943040` → bytes per second. */
function parseRate(value: string, flag: string): number {
  const bytes = parseSize(value.replace(/\/s$/i, ''), flag);
  if (bytes <= 0) throw new InvalidArgumentError(`${flag}: expected a positive rate such as 40MiB, got '${value}'`);
  return bytes;
}

/** Parses the command line into emulator options (exported for tests). Throws InvalidArgumentError. */
export function emulatorOptionsFromArgv(argv: readonly string[]): EmulatorOptions | 'help' {
  const parsed = parseCommandLine(SPEC, argv);
  if (parsed.values.help === true) return 'help';
  const options: EmulatorOptions = {};
  const port = stringFlag(parsed, 'port');
  if (port !== undefined) options.port = parseInteger(port, '--port', { min: 0, max: 65535 });
  const dir = stringFlag(parsed, 'dir');
  if (dir !== undefined) options.dir = dir;
  const host = stringFlag(parsed, 'host');
  if (host !== undefined) options.host = host;
  const shaping: ShapingOptions = {};
  const perConnection = stringFlag(parsed, 'per-connection-rate');
  if (perConnection !== undefined) shaping.perConnectionBytesPerSec = parseRate(perConnection, '--per-connection-rate');
  const aggregate = stringFlag(parsed, 'aggregate-rate');
  if (aggregate !== undefined) shaping.aggregateBytesPerSec = parseRate(aggregate, '--aggregate-rate');
  const delay = stringFlag(parsed, 'first-byte-delay');
  if (delay !== undefined) shaping.firstByteDelayMs = parseDuration(delay, '--first-byte-delay');
  if (Object.keys(shaping).length > 0) options.shaping = shaping;
  return options;
}

/** Runs the `emulator` command; resolves after a SIGINT or SIGTERM has closed the server. */
export async function runEmulatorCli(argv: string[]): Promise<void> {
  const options = emulatorOptionsFromArgv(argv);
  if (options === 'help') {
    process.stdout.write(renderHelp(SPEC));
    return;
  }
  const emulator = await startEmulator(options);
  let onSignal = (): void => undefined;
  const stopped = new Promise<void>((resolve) => {
    onSignal = resolve;
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    process.stdout.write(`listening on ${emulator.url}\n`);
    await stopped;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await emulator.close();
  }
}
