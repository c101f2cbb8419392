/**
 * The end of a many-object command: a summary line (objects, bytes, skipped, failed, time, rate), the failures
 * listed one per line with their reason (unless the progress display printed them as they happened), and the
 * exit code — 3 (transfer failed) when any object failed, even
 * though every other object was transferred. With `--json`, one JSON line per failure and one for the summary.
 */
import { serializeError } from '../errors.js';
import type { ManySummary, ObjectOutcome } from '../transfer/many/outcomes.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import type { ManyProgressRenderer } from './many-progress.js';
import { formatDuration, formatSize } from './sizes.js';

/** Adds `b` into `a` (a job of several library calls). */
export function addSummaries(a: ManySummary, b: ManySummary): ManySummary {
  return {
    objects: a.objects + b.objects,
    bytes: a.bytes + b.bytes,
    skipped: a.skipped + b.skipped,
    failed: a.failed + b.failed,
    failures: [...a.failures, ...b.failures].slice(0, 1000),
    elapsedMs: a.elapsedMs + b.elapsedMs,
  };
}

export function emptySummary(): ManySummary {
  return { objects: 0, bytes: 0, skipped: 0, failed: 0, failures: [], elapsedMs: 0 };
}

/** The one-line description of an object's failure. */
export function failureLine(outcome: ObjectOutcome): string {
  const error = outcome.error ? serializeError(outcome.error) : undefined;
  const code = error?.code && error.code !== 'ERR_GCS_INVALID_ARG' ? ` [${error.code}]` : '';
  return `FAILED ${outcome.source} → ${outcome.destination}: ${error?.message ?? 'unknown error'}${code}`;
}

/** Prints the summary and failures; returns the exit code. `verb` says what was done ("Copied", "Deleted"). */
export function reportMany(
  io: CliIo,
  command: string,
  verb: string,
  summary: ManySummary,
  output: { quiet: boolean; json: boolean },
  progress?: ManyProgressRenderer,
): number {
  progress?.finish();
  const code = summary.failed > 0 ? ExitCode.TransferFailed : ExitCode.Ok;
  if (output.json) {
    const { failures, ...totals } = summary;
    for (const failure of failures) {
      io.stdout.write(`${JSON.stringify({ failed: failure.source, destination: failure.destination, error: failure.error ? serializeError(failure.error).message : undefined })}\n`);
    }
    io.stdout.write(`${JSON.stringify({ ok: code === ExitCode.Ok, exitCode: code, ...totals })}\n`);
    return code;
  }
  // Failures already printed as they happened are not repeated.
  if (!progress?.showsNotes) for (const failure of summary.failures) io.stderr.write(`${command}: ${failureLine(failure)}\n`);
  if (summary.failed > summary.failures.length) {
    io.stderr.write(`${command}: … and ${summary.failed - summary.failures.length} more failures\n`);
  }
  if (!output.quiet || code !== ExitCode.Ok) {
    const seconds = summary.elapsedMs / 1000;
    const rate = seconds > 0 && summary.bytes > 0 ? ` at ${formatSize(summary.bytes / seconds)}/s` : '';
    io.stderr.write(
      `${verb} ${summary.objects} object${summary.objects === 1 ? '' : 's'} (${formatSize(summary.bytes)})` +
        `, ${summary.skipped} skipped, ${summary.failed} failed, in ${formatDuration(summary.elapsedMs)}${rate}\n`,
    );
  }
  return code;
}
