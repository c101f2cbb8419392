/**
 * `gcs-transfer cp --queue URL`: instead of copying, submits the copy as a distributed transfer for the
 * workers on that Redis, prints the job's name on stdout, and with `--wait` follows it to the end and exits
 * with its outcome (0, or 3 when objects failed). The submitter never talks to GCS: it needs no credentials.
 */
import { submitTransfer } from '../distributed/submit.js';
import { parseQueueUrl } from '../distributed/queue-url.js';
import { checkJobName } from '../distributed/job-spec.js';
import { DEFAULT_ATTEMPTS } from '../distributed/queue-names.js';
import { InvalidArgumentError } from '../errors.js';
import { MAX_CONCURRENCY } from '../transfer/options.js';
import { booleanFlag, parseCommandLine, parseInteger, renderHelp, stringFlag, type CommandSpec } from './args.js';
import { CP_SPEC } from './cp-options.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { exitCodeOfStatus, writeStatusReport } from './job-status-report.js';
import { parseDuration, parseSize } from './sizes.js';
import { followTransfer, requireFlag } from './status.js';

type Flag = CommandSpec['flags'][string];

export const CP_QUEUE_SPEC: CommandSpec = {
  command: 'gcs-transfer cp --queue',
  usage: [
    'gcs-transfer cp -r DIR gs://BUCKET[/PREFIX/] --queue redis://HOST[:PORT][/DB] [--job NAME] [--wait]',
    'gcs-transfer cp -r gs://BUCKET[/PREFIX/] DIR --queue redis://HOST[:PORT][/DB] [--job NAME] [--wait]',
  ],
  summary: [
    'Submits the copy as a distributed transfer, run by `gcs-transfer worker` processes on any number of',
    "machines, with gcloud's naming rules: -r keeps the source's last segment (cp -r data gs://b/in/ → in/data/…).",
    'Objects up to --chunk-size are one task each; larger ones are split into parts (uploads) or ranges',
    '(downloads) that run on any worker, then finalized after a combined CRC32C check. Local paths must be',
    'the same on every worker machine (a shared filesystem). Prints the job name on stdout.',
  ].join('\n'),
  flags: {
    queue: { type: 'string', value: 'URL', description: 'Submit to the workers on this Redis: redis://HOST[:PORT][/DB] or rediss://' },
    job: { type: 'string', value: 'NAME', description: 'Name the transfer (for status)', default: 't-<date>-<time>-<hex>' },
    recursive: { type: 'boolean', short: 'r', description: 'Copy a directory or a gs:// prefix' },
    wait: { type: 'boolean', description: 'Follow the transfer to its end; exit 0, or 3 when objects failed' },
    interval: { type: 'string', value: 'DURATION', description: 'Time between two progress lines with --wait', default: '2s' },
    endpoint: CP_SPEC.flags['endpoint'] as Flag,
    'chunk-size': CP_SPEC.flags['chunk-size'] as Flag,
    concurrency: { ...(CP_SPEC.flags['concurrency'] as Flag), description: `Requests in flight within one small-object task (1-${MAX_CONCURRENCY})` },
    'no-checksum': CP_SPEC.flags['no-checksum'] as Flag,
    'content-type': CP_SPEC.flags['content-type'] as Flag,
    attempts: { type: 'string', value: 'N', description: 'Attempts of each task before its object fails (1-100)', default: String(DEFAULT_ATTEMPTS) },
    quiet: CP_SPEC.flags['quiet'] as Flag,
    json: { type: 'boolean', description: 'Print the job (and with --wait its final status) as one JSON object' },
  },
  positionals: { min: 2, max: 2 },
  epilogue: EXIT_CODES_HELP,
};

export async function runCpQueue(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(CP_QUEUE_SPEC, argv);
  if (booleanFlag(parsed, 'help')) {
    io.stdout.write(renderHelp(CP_QUEUE_SPEC));
    return ExitCode.Ok;
  }
  const [source = '', destination = ''] = parsed.positionals;
  if (source === '-' || destination === '-') throw new InvalidArgumentError('--queue copies files and objects, not stdin/stdout');
  const queue = parseQueueUrl(requireFlag(stringFlag(parsed, 'queue'), '--queue'));
  const job = stringFlag(parsed, 'job');
  const chunk = stringFlag(parsed, 'chunk-size');
  const concurrency = stringFlag(parsed, 'concurrency');
  const attempts = stringFlag(parsed, 'attempts');
  const endpoint = stringFlag(parsed, 'endpoint');
  const contentType = stringFlag(parsed, 'content-type');
  const json = booleanFlag(parsed, 'json');
  const quiet = booleanFlag(parsed, 'quiet') || json;
  const intervalMs = parseDuration(stringFlag(parsed, 'interval') ?? '2s', '--interval');
  const chunkSize = chunk === undefined ? undefined : parseSize(chunk, '--chunk-size');
  if (chunkSize !== undefined && chunkSize < 1) throw new InvalidArgumentError(`--chunk-size: expected at least 1 byte, got '${chunk ?? ''}'`);
  if (contentType !== undefined && source.startsWith('gs://')) throw new InvalidArgumentError('--content-type applies to uploads only');
  const { name, spec } = await submitTransfer({
    queue,
    source,
    destination,
    recursive: booleanFlag(parsed, 'recursive'),
    cwd: io.cwd,
    ...(io.signal ? { signal: io.signal } : {}),
    checksum: !booleanFlag(parsed, 'no-checksum'),
    ...(job === undefined ? {} : { job: checkJobName(job) }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(chunkSize === undefined ? {} : { chunkSize }),
    ...(concurrency === undefined ? {} : { concurrency: parseInteger(concurrency, '--concurrency', { min: 1, max: MAX_CONCURRENCY }) }),
    ...(attempts === undefined ? {} : { attempts: parseInteger(attempts, '--attempts', { min: 1, max: 100 }) }),
    ...(contentType === undefined ? {} : { contentType }),
  });
  if (!json) io.stdout.write(`${name}\n`);
  if (!quiet) {
    const remote = `gs://${spec.bucket}/${spec.prefix}`;
    const route = spec.direction === 'upload' ? `${spec.local} → ${remote}` : `${remote} → ${spec.local}`;
    io.stderr.write(`gcs-transfer cp: submitted ${name} (${route}); follow it with: gcs-transfer status --queue ${queue.display} --job ${name}\n`);
  }
  if (!booleanFlag(parsed, 'wait')) {
    if (json) io.stdout.write(`${JSON.stringify({ ok: true, job: name, submitted: true })}\n`);
    return ExitCode.Ok;
  }
  const status = await followTransfer(io, queue, name, { intervalMs, failureLimit: 100, quiet });
  if (json) io.stdout.write(`${JSON.stringify({ ok: exitCodeOfStatus(status) === ExitCode.Ok, job: name, status })}\n`);
  else if (!booleanFlag(parsed, 'quiet')) writeStatusReport(io.stderr, status);
  return exitCodeOfStatus(status);
}
