/**
 * The process exit codes of `gcs-transfer`, one per outcome a script may want to branch on. They are part of
 * the CLI's public contract (documented in `--help` and the README) and never change meaning.
 */
import { GcsTransferError } from '../errors.js';

export const ExitCode = {
  /** The command did what was asked. */
  Ok: 0,
  /** A bug: an error that is not one of ours. Please report it. */
  Internal: 1,
  /** Bad command line: unknown flag, missing or malformed value, impossible combination. */
  Usage: 2,
  /** The transfer failed: network, server or local file error, retries exhausted, object or upload not found. */
  TransferFailed: 3,
  /** Bytes did not match their checksum, or validation was required and the server gave no checksum. */
  Integrity: 4,
  /** stdout was closed by its reader (`| head`): the copy stopped quietly. 128 + 13 (SIGPIPE), as `cat` ends. */
  StdoutClosed: 141,
  /** Interrupted by SIGINT (Ctrl-C); the saved state lets the same command resume. 128 + 2, as shells do. */
  Interrupted: 130,
  /** Terminated by SIGTERM; the saved state lets the same command resume. 128 + 15. */
  Terminated: 143,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The `--help` text's table of exit codes. */
export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    internal error (a bug; please report it)
  2    usage error (unknown flag, malformed value, impossible combination)
  3    transfer failed (network or server error, not found, local file error)
  4    integrity failure (checksum mismatch, or no checksum to validate against)
  130  interrupted by SIGINT (state kept: re-run the same command to resume)
  141  stdout closed by its reader (e.g. '| head'): stopped quietly
  143  terminated by SIGTERM (state kept: re-run the same command to resume)`;

/**
 * Maps a failure to its exit code. Our typed errors decide by `code`; Node system errors (ENOENT, EACCES, ENOSPC
 * on a local file) are transfer failures; anything else is a bug.
 */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof GcsTransferError) {
    switch (error.code) {
      case 'ERR_GCS_INVALID_ARG':
        return ExitCode.Usage;
      case 'ERR_GCS_DATA_CORRUPTION':
      case 'ERR_GCS_UNVALIDATED':
        return ExitCode.Integrity;
      case 'ABORT_ERR':
        return ExitCode.Interrupted;
      case 'ERR_GCS_MPU_FAILED':
        // A multipart upload wraps the failure that stopped it; a corrupted part is still an integrity failure.
        return error.cause instanceof GcsTransferError && error.cause.code === 'ERR_GCS_DATA_CORRUPTION'
          ? ExitCode.Integrity
          : ExitCode.TransferFailed;
      default:
        return ExitCode.TransferFailed;
    }
  }
  if (isSystemError(error)) return ExitCode.TransferFailed;
  return ExitCode.Internal;
}

/** A Node.js system error (`ENOENT`, `EACCES`, ...) from a local file operation. */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    typeof (error as NodeJS.ErrnoException).syscall === 'string'
  );
}
