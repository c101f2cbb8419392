/** What the two directions of `cp` share: the manager, the parsed options, the reporter and the stop signal. */
import type { TransferManager } from '../transfer/transfer-manager.js';
import type { CpOptions } from './cp-options.js';
import type { CpReporter, CpSummary } from './cp-report.js';
import type { CliIo } from './io.js';

export interface CpContext {
  tm: TransferManager;
  options: CpOptions;
  reporter: CpReporter;
  io: CliIo;
  /** The user's interrupt (SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

/** How a copy ended. `kept` names the state saved for a resume, when there is some. */
export type CpOutcome = { ok: true; summary: CpSummary } | { ok: false; error: unknown; kept?: string };
