/**
 * Everything `cp` tells the user: progress while it runs, notes (why a resume started over, how much was
 * reused), and the outcome — a summary line, or one JSON object with `--json`. Only numbers, object names,
 * local paths and our (redacted) error messages are ever printed: no URLs with query strings, no headers.
 */
import { AbortError } from '../errors.js';
import type { DownloadResult, UploadResult } from '../transfer/options.js';
import type { ProgressSnapshot } from '../transfer/progress.js';
import type { RetryEvent } from '../transport/retry.js';
import { StdoutClosed } from './cp-context.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { describeFailure, jsonFailure, type CliIo, type OutputStream } from './io.js';
import { ProgressRenderer } from './progress.js';
import { formatDuration, formatSize } from './sizes.js';

/** At most one retry line per this interval; the others are counted into the next line. */
const RETRY_LINE_INTERVAL_MS = 1_000;

/** The outcome of a successful copy, as printed. */
export interface CpSummary {
  direction: 'download' | 'upload';
  source: string;
  destination: string;
  bytes: number;
  /** Base64 CRC32C of the bytes. */
  crc32c: string;
  /** Whether it was compared with the server's and matched. */
  validated: boolean;
  generation?: string;
  parts: number;
  elapsedMs: number;
  /** Bytes an earlier, interrupted run had already transferred and this one reused. */
  resumedBytes: number;
  /** Uploads: one request, or a multipart upload. */
  method?: 'single' | 'multipart';
  /** Downloads of a gzip-stored object: decompressed to this many bytes (`bytes` are the stored ones). */
  decompressed?: { encoding: string; bytes: number };
}

/** The summary of an engine result. */
export function summaryOf(
  result: DownloadResult | UploadResult,
  where: Pick<CpSummary, 'direction' | 'source' | 'destination' | 'resumedBytes'>,
): CpSummary {
  return {
    ...where,
    bytes: result.bytes,
    crc32c: result.crc32c,
    validated: result.validated,
    ...(result.generation === undefined ? {} : { generation: result.generation }),
    parts: result.parts,
    elapsedMs: result.elapsedMs,
    ...('method' in result ? { method: result.method } : {}),
    ...('decompressed' in result && result.decompressed ? { decompressed: result.decompressed } : {}),
  };
}

export interface CpReporterOptions {
  quiet: boolean;
  json: boolean;
  /** Whether the copied bytes go to stdout (then `--json` goes to stderr). */
  dataOnStdout: boolean;
  checksum: boolean;
}

export class CpReporter {
  readonly #io: CliIo;
  readonly #options: CpReporterOptions;
  readonly #progress: ProgressRenderer;
  readonly #notes: string[] = [];
  #lastRetryAt = -Infinity;
  #retriesSilenced = 0;

  constructor(io: CliIo, options: CpReporterOptions) {
    this.#io = io;
    this.#options = options;
    // --json is for programs: no progress or notes on the terminal; the notes go into the JSON instead.
    const silent = options.quiet || options.json;
    this.#progress = new ProgressRenderer(silent ? { stream: io.stderr, mode: 'none' } : { stream: io.stderr });
  }

  /** The engine's `onProgress`. */
  readonly onProgress = (snapshot: ProgressSnapshot): void => {
    this.#progress.update(snapshot);
  };

  /**
   * The retry policy's `onRetry`: one line per failed request that will be retried (what failed, the attempt,
   * when the next one starts). Many ranges failing together (a link that went down) would flood the
   * terminal, so within a second only the first is printed and the rest are counted into the next line.
   */
  readonly onRetry = (event: RetryEvent): void => {
    if (this.#options.quiet || this.#options.json) return;
    const now = performance.now();
    if (now - this.#lastRetryAt < RETRY_LINE_INTERVAL_MS) {
      this.#retriesSilenced += 1;
      return;
    }
    this.#lastRetryAt = now;
    const what = event.error instanceof Error ? event.error.message : String(event.error);
    const others = this.#retriesSilenced > 0 ? ` (and ${this.#retriesSilenced} other failed requests)` : '';
    this.#retriesSilenced = 0;
    this.#progress.note(`retrying: ${what}${others}; attempt ${event.attempt + 2} in ${(event.delayMs / 1000).toFixed(1)}s`);
  };

  /** Tells the user something about the run (resume decisions). Collected for `--json`. */
  note(message: string): void {
    this.#notes.push(message);
    this.#progress.note(message);
  }

  /** Prints the outcome of a successful copy. */
  success(summary: CpSummary): ExitCode {
    this.#progress.finish('done', { reusedBytes: summary.resumedBytes });
    if (this.#options.json) {
      this.#jsonStream().write(`${JSON.stringify({ ok: true, ...summary, notes: this.#notes })}\n`);
    } else if (!this.#options.quiet) {
      this.#io.stderr.write(`${this.#describe(summary)}\n`);
    }
    return ExitCode.Ok;
  }

  /**
   * Prints a failure (always, even with `--quiet`) and returns its exit code. `kept` names the saved state
   * when the same command can resume.
   */
  failure(error: unknown, kept?: string): number {
    this.#progress.finish('failed');
    if (error instanceof StdoutClosed) return ExitCode.StdoutClosed;
    const interrupted = error instanceof AbortError && this.#io.signal?.aborted === true;
    let code: number = exitCodeFor(error);
    if (interrupted) code = this.#io.signal?.reason === 'SIGTERM' ? ExitCode.Terminated : ExitCode.Interrupted;
    const resume = kept === undefined ? undefined : `re-run the same command to resume (saved state: ${kept})`;
    if (this.#options.json) {
      const data = { ...jsonFailure(error), exitCode: code, notes: this.#notes, ...(resume ? { resume } : {}) };
      this.#jsonStream().write(`${JSON.stringify(data)}\n`);
    } else {
      const message = interrupted ? `gcs-transfer cp: interrupted by ${String(this.#io.signal?.reason)}\n` : describeFailure('gcs-transfer cp', error);
      this.#io.stderr.write(message + (resume ? `gcs-transfer cp: ${resume}\n` : ''));
    }
    return code;
  }

  #jsonStream(): OutputStream {
    return this.#options.dataOnStdout ? this.#io.stderr : this.#io.stdout;
  }

  #describe(summary: CpSummary): string {
    const seconds = summary.elapsedMs / 1000;
    const moved = summary.bytes - summary.resumedBytes;
    const rate = seconds > 0 ? `${formatSize(moved / seconds)}/s` : '-- /s';
    const parts = summary.parts === 1 ? '1 part' : `${summary.parts} parts`;
    let check: string;
    if (!this.#options.checksum) check = 'not verified (--no-checksum)';
    else if (summary.validated) check = `CRC32C ${summary.crc32c} verified`;
    else check = `CRC32C ${summary.crc32c} NOT verified: the server gave no checksum`;
    const resumed = summary.resumedBytes > 0 ? `, ${formatSize(summary.resumedBytes)} reused from the interrupted run` : '';
    const stored = summary.decompressed ? ` (stored ${summary.decompressed.encoding})` : '';
    const decoded = summary.decompressed ? `; decompressed to ${formatSize(summary.decompressed.bytes)}` : '';
    return (
      `Copied ${summary.source} → ${summary.destination}: ${formatSize(summary.bytes)}${stored} in ${parts}${resumed}, ` +
      `${formatDuration(summary.elapsedMs)} at ${rate}; ${check}${decoded}`
    );
  }
}
