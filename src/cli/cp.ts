/**
 * `gcs-transfer cp`: parses the command line, runs the copy through one TransferManager, and reports the
 * outcome with the documented exit code.
 */
import { NoCredentialsError } from '../errors.js';
import { TransferManager } from '../transfer/transfer-manager.js';
import type { TransferManagerOptions } from '../transfer/options.js';
import { RetryStrategy } from '../transport/retry.js';
import { renderHelp } from './args.js';
import type { CpContext, CpOutcome } from './cp-context.js';
import { downloadToFile, downloadToStdout } from './cp-download.js';
import { CP_SPEC, parseCpOptions, type CpOptions } from './cp-options.js';
import { isManyCopy, runCpMany } from './cp-many.js';
import { CpReporter } from './cp-report.js';
import { uploadFromFile, uploadFromStdin } from './cp-upload.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';

/** Runs `cp` and resolves to the exit code. Usage errors are thrown (the dispatcher prints them). */
export async function runCp(argv: readonly string[], io: CliIo): Promise<number> {
  // A distributed transfer (and BullMQ) is loaded only when asked for.
  if (argv.some((arg) => arg === '--queue' || arg.startsWith('--queue='))) return (await import('./cp-queue.js')).runCpQueue(argv, io);
  if (isManyCopy(argv)) return runCpMany(argv, io);
  const options = await parseCpOptions(argv, io);
  if (options === 'help') {
    io.stdout.write(renderHelp(CP_SPEC));
    return ExitCode.Ok;
  }
  const reporter = new CpReporter(io, {
    quiet: options.quiet,
    json: options.json,
    dataOnStdout: options.direction === 'download' && options.local === '-',
    checksum: options.checksum,
  });
  const tm = new TransferManager(managerOptions(options, reporter));
  let outcome: CpOutcome;
  try {
    const context: CpContext = { tm, options, reporter, io, ...(io.signal ? { signal: io.signal } : {}) };
    outcome = await copy(context);
  } finally {
    await tm.close();
  }
  return outcome.ok ? reporter.success(outcome.summary) : reporter.failure(forTheCommandLine(outcome.error), outcome.kept);
}

/**
 * Missing credentials, wherever they surfaced (a download's first range, a single-request upload, a multipart
 * upload's initiate), become one message that names the command line's fixes.
 */
function forTheCommandLine(error: unknown): unknown {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (cause instanceof NoCredentialsError) {
      return new NoCredentialsError(
        'no Google credentials found. For GCS: run `gcloud auth application-default login` (or set ' +
          'GOOGLE_APPLICATION_CREDENTIALS to a key file), or pass --token-file or --token-env. For an emulator: ' +
          '--no-auth, or --endpoint http://127.0.0.1:PORT (or STORAGE_EMULATOR_HOST).',
      );
    }
  }
  return error;
}

/** The four kinds of copy: `-` is stdin for uploads and stdout for downloads. */
function copy(context: CpContext): Promise<CpOutcome> {
  const stdio = context.options.local === '-';
  if (context.options.direction === 'download') return stdio ? downloadToStdout(context) : downloadToFile(context);
  return stdio ? uploadFromStdin(context) : uploadFromFile(context);
}

function managerOptions(options: Readonly<CpOptions>, reporter: CpReporter): TransferManagerOptions {
  return {
    checksum: options.checksum,
    requireValidation: options.requireValidation,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    // Resolved sizes only: each direction passes the size it uses, never the raw flag.
    chunkSize: options.direction === 'download' ? options.rangeSize : options.chunkSize,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.readTimeoutMs === undefined ? {} : { timeout: { readMs: options.readTimeoutMs } }),
    // Retries are shown as they happen: a refused connection must not look like a hang.
    retry: new RetryStrategy({
      ...(options.maxRetryMs === undefined ? {} : { maxCumulativeRetryMs: options.maxRetryMs }),
      onRetry: reporter.onRetry,
    }),
  };
}
