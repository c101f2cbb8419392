/**
 * What a many-object call reports: one outcome per object (as it settles), a throttled progress snapshot of the
 * whole job, and a summary at the end. The summary keeps the first {@link MAX_LISTED_FAILURES} failures in full
 * and counts the rest, so its memory does not grow with the number of objects either.
 */
import type { ErrorClass } from '../../scheduler/error-class.js';

/** Failures the summary keeps in full; beyond them it only counts. */
export const MAX_LISTED_FAILURES = 1000;

export type ObjectOperation = 'upload' | 'download' | 'copy' | 'delete';

/** How one object ended. */
export interface ObjectOutcome {
  operation: ObjectOperation;
  /** A local path or `gs://bucket/name`. */
  source: string;
  /** A local path or `gs://bucket/name` (for deletes, the object deleted). */
  destination: string;
  status: 'done' | 'skipped' | 'failed';
  /** Bytes moved (0 when skipped or failed; for copies the object's size, moved by the service). */
  bytes: number;
  /**
   * Why it was skipped: `exists` (skipExisting), `identical` (skipIdentical: same size and CRC32C), `dry-run`,
   * or `gone` (a listed object deleted by someone else before we got to it).
   */
  reason?: 'exists' | 'identical' | 'dry-run' | 'gone';
  /** Why it failed. */
  error?: Error;
  /** The error's class (see classifyError). */
  errorClass?: ErrorClass;
}

/** The whole job's progress. Totals grow while the source is still being listed. */
export interface ManyProgress {
  /** Objects settled (done, skipped or failed). */
  objectsDone: number;
  /** Objects found so far. */
  objectsTotal: number;
  bytesDone: number;
  /** Bytes of the objects found so far. */
  bytesTotal: number;
  /** True once the source has been listed to its end (the totals are final). */
  listed: boolean;
  failed: number;
  skipped: number;
  elapsedMs: number;
}

/** The end of a many-object call. */
export interface ManySummary {
  /** Objects transferred (or deleted). */
  objects: number;
  /** Bytes transferred. */
  bytes: number;
  skipped: number;
  failed: number;
  /** The failed objects (the first 1,000 in full). */
  failures: ObjectOutcome[];
  elapsedMs: number;
}

/** Options every many-object call takes. */
export interface ManyOptions {
  /** Stops the job: objects in flight are aborted (no partial file or object is left as if done). */
  signal?: AbortSignal;
  /**
   * Objects in flight at once for this call, 1–1024 (each large object still splits into ranges or parts, all
   * within the manager's `maxConnections`). As many as the default `maxConnections`: a small object is one
   * request, and at 30 ms to the first byte only many of them in flight keep the link busy.
   * @default 64
   */
  concurrency?: number;
  /**
   * Keep going when an object fails; the failures are in the summary (and `onObject`). With `false`, the first
   * failure aborts the job and the call rejects with it.
   * @default true
   */
  continueOnError?: boolean;
  /** Called once per object as it settles. @default undefined */
  onObject?: (outcome: ObjectOutcome) => void;
  /** Called at most every 100 ms while the job runs, and once at the end. @default undefined */
  onProgress?: (progress: ManyProgress) => void;
  /**
   * Listed entries held to start larger objects first (a bounded heap: memory stays flat however many objects
   * the source has).
   * @default 1000
   */
  lookahead?: number;
}
