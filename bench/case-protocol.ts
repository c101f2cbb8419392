/**
 * Messages between the bench (parent) and a case runner (child). Kept in their own module so both sides
 * import the types without importing each other.
 */
import type { CaseSpec } from './cases/case.js';

export interface RunRequest {
  type: 'run';
  cases: CaseSpec[];
  /** Measured iterations per case. */
  iterations: number;
  /**
   * Unmeasured iterations before the measured ones (JIT, connections, worker threads, first-touch memory):
   * `each` case gets one, only the `first` case of the request gets one (the sweep: later cells find the
   * process warm), or `none`.
   */
  warmup: 'each' | 'first' | 'none';
}

/** The measurement of one case. */
export interface CaseMeasurement {
  /** Bytes per iteration. */
  bytes: number;
  /** Wall time of each measured iteration, in ms, in run order. */
  samplesMs: number[];
  /** CPU seconds of the process during each measured iteration. */
  cpuSec: number[];
  /** Seconds the main thread's event loop was busy during each measured iteration (`eventLoopUtilization`). */
  mainBusySec: number[];
  /** tinybench's relative margin of error of the latency mean, in percent. */
  rme: number;
  /** Peak RSS sampled while this case ran (all iterations), MiB. */
  sampledPeakRssMiB: number;
  /** When the work ran in another program (curl): its peak RSS over the iterations, MiB. */
  externalMaxRssMiB?: number;
  /** True when the work ran in another program whose cost could not be read: CPU and RSS are then unknown. */
  costUnknown?: boolean;
}

export type RunnerMessage =
  | { type: 'iteration'; caseIndex: number; iteration: number; ms: number }
  | { type: 'done'; measurements: CaseMeasurement[]; maxRssMiB: number }
  | { type: 'failed'; caseIndex: number; message: string; stack?: string };
