/**
 * `gcs-transfer status`: the progress of a distributed transfer, aggregated from its workers; `--wait` follows
 * it to the end and exits with its outcome.
 */
import { getTransferStatus, waitForTransfer } from '../distributed/submit.js';
import type { JobStatus } from '../distributed/job-state.js';
import { parseQueueUrl } from '../distributed/queue-url.js';
import { checkJobName } from '../distributed/job-spec.js';
import { InvalidArgumentError } from '../errors.js';
import { booleanFlag, parseCommandLine, parseInteger, renderHelp, stringFlag, type CommandSpec } from './args.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { exitCodeOfStatus, statusLine, writeStatusReport } from './job-status-report.js';
import { parseDuration } from './sizes.js';

export const STATUS_SPEC: CommandSpec = {
  command: 'gcs-transfer status',
  usage: ['gcs-transfer status --queue redis://HOST[:PORT][/DB] --job NAME [--wait]'],
  summary: [
    'Shows a distributed transfer: objects and bytes done of the total (totals grow while listing runs),',
    'the average rate, and the objects that failed with their reasons. Exits 0 while it runs or when it',
    'completed, 3 when objects failed.',
  ].join('\n'),
  flags: {
    queue: { type: 'string', value: 'URL', description: 'The Redis the transfer runs on: redis://HOST[:PORT][/DB] or rediss://' },
    job: { type: 'string', value: 'NAME', description: 'The transfer (the name cp --queue printed)' },
    wait: { type: 'boolean', description: 'Follow the transfer until it ends; exit with its outcome' },
    interval: { type: 'string', value: 'DURATION', description: 'Time between two progress reads with --wait', default: '2s' },
    failures: { type: 'string', value: 'N', description: 'Failures to list', default: '20' },
    json: { type: 'boolean', description: 'Print the status as one JSON object' },
    quiet: { type: 'boolean', short: 'q', description: 'With --wait, print nothing until the end' },
  },
  positionals: { min: 0, max: 0 },
  epilogue: EXIT_CODES_HELP,
};

export async function runStatusCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(STATUS_SPEC, argv);
  if (booleanFlag(parsed, 'help')) {
    io.stdout.write(renderHelp(STATUS_SPEC));
    return ExitCode.Ok;
  }
  const queue = parseQueueUrl(requireFlag(stringFlag(parsed, 'queue'), '--queue'));
  const name = checkJobName(requireFlag(stringFlag(parsed, 'job'), '--job'));
  const failureLimit = parseInteger(stringFlag(parsed, 'failures') ?? '20', '--failures', { min: 0, max: 100_000 });
  const json = booleanFlag(parsed, 'json');
  let status: JobStatus;
  if (booleanFlag(parsed, 'wait')) {
    const intervalMs = parseDuration(stringFlag(parsed, 'interval') ?? '2s', '--interval');
    status = await followTransfer(io, queue, name, { intervalMs, failureLimit, quiet: booleanFlag(parsed, 'quiet') || json });
  } else {
    status = await getTransferStatus(queue, name, { failureLimit, ...(io.signal ? { signal: io.signal } : {}) });
  }
  if (json) io.stdout.write(`${JSON.stringify(status)}\n`);
  else writeStatusReport(io.stdout, status);
  return exitCodeOfStatus(status);
}

export function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined) throw new InvalidArgumentError(`${flag} is required`);
  return value;
}

/** Waits for the end, printing a progress line at most every `intervalMs` (rewritten in place on a terminal). */
export function followTransfer(
  io: CliIo,
  queue: Parameters<typeof waitForTransfer>[0],
  name: string,
  options: { intervalMs: number; failureLimit: number; quiet: boolean },
): Promise<JobStatus> {
  const tty = io.stderr.isTTY === true;
  return waitForTransfer(queue, name, {
    intervalMs: Math.max(100, options.intervalMs),
    failureLimit: options.failureLimit,
    ...(io.signal ? { signal: io.signal } : {}),
    onStatus: (status) => {
      if (options.quiet) return;
      const line = statusLine(status);
      io.stderr.write(tty ? `\r\x1b[K${line}${status.state === 'running' ? '' : '\n'}` : `${line}\n`);
    },
  });
}
