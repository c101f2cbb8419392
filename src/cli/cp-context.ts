/** What the two directions of `cp` share: the manager, the parsed options, the reporter and the stop signal. */
import type { TransferManager } from '../transfer/transfer-manager.js';
import type { CpOptions } from './cp-options.js';
import type { CpReporter, CpSummary } from './cp-report.js';
import type { CliIo } from './io.js';

export interface CpContext {
  tm: TransferManager;
  options: Readonly<CpOptions>;
  reporter: CpReporter;
  io: CliIo;
  /** The user's interrupt (SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

/** How a copy ended. `kept` names the state saved for a resume, when there is some. */
export type CpOutcome = { ok: true; summary: CpSummary } | { ok: false; error: unknown; kept?: string };

/**
 * Whoever read stdout closed it (`gcs-transfer cp gs://b/o - | head`). Not a transfer failure to report: the
 * command stops quietly with exit 141 (128 + SIGPIPE), as `cat` does in a pipeline.
 */
export class StdoutClosed extends Error {
  constructor() {
    super('stdout was closed by its reader');
    this.name = 'StdoutClosed';
  }
}
