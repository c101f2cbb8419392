/**
 * `gcs-transfer worker`: one worker machine of distributed transfers. It runs until SIGINT/SIGTERM, then stops
 * taking tasks, finishes the running ones and exits 0; a second signal exits at once, and the tasks it held
 * move to other workers once their lease runs out.
 */
import { startWorker, DEFAULT_LEASE_MS, DEFAULT_WORKER_CONCURRENCY } from '../distributed/worker.js';
import { parseQueueUrl } from '../distributed/queue-url.js';
import { InvalidArgumentError } from '../errors.js';
import { booleanFlag, parseCommandLine, parseInteger, renderHelp, stringFlag, type CommandSpec } from './args.js';
import { CP_SPEC, authFrom } from './cp-options.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { parseDuration } from './sizes.js';
import { requireFlag } from './status.js';

export const WORKER_SPEC: CommandSpec = {
  command: 'gcs-transfer worker',
  usage: ['gcs-transfer worker --queue redis://HOST[:PORT][/DB] [--concurrency N]'],
  summary: [
    'Runs the tasks of distributed transfers (submitted with cp --queue) on this machine: listings, small',
    'objects, parts and ranges of large ones. Start one on every machine; each authenticates itself',
    '(Application Default Credentials for https endpoints, none for emulators); nothing secret goes',
    'through Redis. Local paths of a transfer must be the same on every machine (a shared filesystem).',
  ].join('\n'),
  flags: {
    queue: { type: 'string', value: 'URL', description: 'The Redis to take tasks from: redis://HOST[:PORT][/DB] or rediss://' },
    concurrency: { type: 'string', short: 'j', value: 'N', description: 'Tasks run at once (1-1024)', default: String(DEFAULT_WORKER_CONCURRENCY) },
    lease: {
      type: 'string',
      value: 'DURATION',
      description: "A task's lease: a dead worker's tasks move to others after one to two leases",
      default: `${DEFAULT_LEASE_MS / 1000}s`,
    },
    threads: { type: 'string', value: 'N', description: 'Worker threads for small-object transfers', default: 'min(cores, 4)' },
    'no-auth': CP_SPEC.flags['no-auth'] as CommandSpec['flags'][string],
    'token-file': CP_SPEC.flags['token-file'] as CommandSpec['flags'][string],
    'token-env': CP_SPEC.flags['token-env'] as CommandSpec['flags'][string],
    quiet: { type: 'boolean', short: 'q', description: 'Print only worker errors' },
  },
  positionals: { min: 0, max: 0 },
  epilogue: EXIT_CODES_HELP,
};

export async function runWorkerCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(WORKER_SPEC, argv);
  if (booleanFlag(parsed, 'help')) {
    io.stdout.write(renderHelp(WORKER_SPEC));
    return ExitCode.Ok;
  }
  const queue = parseQueueUrl(requireFlag(stringFlag(parsed, 'queue'), '--queue'));
  const concurrency = parseInteger(stringFlag(parsed, 'concurrency') ?? String(DEFAULT_WORKER_CONCURRENCY), '--concurrency', { min: 1, max: 1024 });
  const leaseText = stringFlag(parsed, 'lease');
  const leaseMs = leaseText === undefined ? DEFAULT_LEASE_MS : parseDuration(leaseText, '--lease');
  if (leaseMs < 1000) throw new InvalidArgumentError(`--lease: expected at least 1s, got '${leaseText ?? ''}'`);
  const threadsText = stringFlag(parsed, 'threads');
  const threads = threadsText === undefined ? undefined : parseInteger(threadsText, '--threads', { min: 1, max: 64 });
  const auth = await authFrom(parsed.values, io);
  const quiet = booleanFlag(parsed, 'quiet');
  const worker = await startWorker({
    queue,
    concurrency,
    leaseMs,
    ...(auth === undefined ? {} : { auth }),
    ...(threads === undefined ? {} : { threads }),
    ...(io.signal ? { signal: io.signal } : {}),
    onEvent: (event) => {
      // Deferred listings (the queue is full) are routine: not worth a line each.
      if (event.type === 'error') io.stderr.write(`gcs-transfer worker: ${event.message}\n`);
      else if (event.type === 'failed' && !quiet) io.stderr.write(`gcs-transfer worker: job ${event.job}: ${event.task} failed for good: ${event.message}\n`);
    },
  });
  if (!quiet) io.stderr.write(`gcs-transfer worker: taking tasks from ${queue.display} (concurrency ${concurrency}, lease ${leaseMs / 1000}s, pid ${process.pid}, worker id ${worker.id})\n`);
  await new Promise<void>((resolve) => {
    if (io.signal === undefined) return;
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  if (!quiet) io.stderr.write('gcs-transfer worker: stopping: finishing the running tasks\n');
  await worker.close();
  return ExitCode.Ok;
}
