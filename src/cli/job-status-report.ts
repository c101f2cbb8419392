/**
 * How a distributed transfer's status is printed, by `status` and by `cp --queue --wait`: a few human lines
 * (or one JSON object), failures listed, and the exit code its outcome maps to (0 complete or running, 3 when
 * objects failed).
 */
import type { JobStatus } from '../distributed/job-state.js';
import { ExitCode } from './exit-codes.js';
import type { OutputStream } from './io.js';
import { formatSize } from './sizes.js';

/** The exit code of a job's outcome: 3 (transfer failed) when any object failed, else 0. */
export function exitCodeOfStatus(status: JobStatus): number {
  return status.state === 'failed' || status.objectsFailed > 0 ? ExitCode.TransferFailed : ExitCode.Ok;
}

/** One progress line: `NAME running: 12/40 objects, 1.2 GiB/3.0 GiB, 85.3 MiB/s, 0 failed`. */
export function statusLine(status: JobStatus): string {
  const total = status.listing ? `${status.objectsTotal}+` : String(status.objectsTotal);
  const bytesTotal = status.listing ? `${formatSize(status.bytesTotal)}+` : formatSize(status.bytesTotal);
  return (
    `${status.name} ${status.state}: ${status.objectsDone}/${total} objects, ${formatSize(status.bytesDone)}/${bytesTotal}, ` +
    `${formatSize(status.bytesPerSecond)}/s, ${status.objectsFailed} failed`
  );
}

/** The full report: state, counts, rate, elapsed time, and the failures (each with its code and reason). */
export function writeStatusReport(out: OutputStream, status: JobStatus): void {
  const elapsed = ((status.finishedAt ?? Date.now()) - status.createdAt) / 1000;
  const lines = [
    `job:      ${status.name} (${status.direction})`,
    `state:    ${status.state}${status.listing ? ' (still listing: totals grow)' : ''}`,
    `objects:  ${status.objectsDone} done, ${status.objectsFailed} failed, ${status.objectsTotal} total`,
    `bytes:    ${formatSize(status.bytesDone)} of ${formatSize(status.bytesTotal)}`,
    `rate:     ${formatSize(status.bytesPerSecond)}/s average over ${elapsed.toFixed(1)} s`,
  ];
  for (const failure of status.failures) {
    lines.push(`failed:   ${failure.name}: ${failure.message}${failure.code ? ` [${failure.code}]` : ''}`);
  }
  if (status.failuresOmitted > 0) lines.push(`          … and ${status.failuresOmitted} more failures (--failures N shows more)`);
  out.write(`${lines.join('\n')}\n`);
}
