/**
 * `gcs-transfer cp`: parses the command line, runs the copy through one TransferManager, and reports the
 * outcome with the documented exit code.
 */
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
  const tm = new TransferManager(managerOptions(options));
  let outcome: CpOutcome;
  try {
    const context: CpContext = { tm, options, reporter, io, ...(io.signal ? { signal: io.signal } : {}) };
    outcome = await copy(context);
  } finally {
    await tm.close();
  }
  return outcome.ok ? reporter.success(outcome.summary) : reporter.failure(outcome.error, outcome.kept);
}

/** The four kinds of copy: `-` is stdin for uploads and stdout for downloads. */
function copy(context: CpContext): Promise<CpOutcome> {
  const stdio = context.options.local === '-';
  if (context.options.direction === 'download') return stdio ? downloadToStdout(context) : downloadToFile(context);
  return stdio ? uploadFromStdin(context) : uploadFromFile(context);
}

function managerOptions(options: CpOptions): TransferManagerOptions {
  return {
    checksum: options.checksum,
    requireValidation: options.requireValidation,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.readTimeoutMs === undefined ? {} : { timeout: { readMs: options.readTimeoutMs } }),
    ...(options.maxRetryMs === undefined ? {} : { retry: new RetryStrategy({ maxCumulativeRetryMs: options.maxRetryMs }) }),
  };
}
