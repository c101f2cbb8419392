/**
 * The loop of every many-object call: a lazily listed source, reordered larger-first within a bounded
 * lookahead, run in a sliding window of `concurrency` objects; each object's task returns its outcome (a task
 * that throws is that object's failure), outcomes are reported as they settle, and the job's progress and
 * summary are kept here. Every request the tasks make goes through the manager's scheduler.
 */
import { InvalidArgumentError } from '../../errors.js';
import { classifyError } from '../../scheduler/error-class.js';
import { largestFirst } from '../../scheduler/size-first.js';
import { runSlidingWindow } from '../sliding-window.js';
import { MAX_LISTED_FAILURES, type ManyOptions, type ManyProgress, type ManySummary, type ObjectOperation, type ObjectOutcome } from './outcomes.js';

/** Objects in flight per many-object call (see ManyOptions.concurrency). */
export const DEFAULT_MANY_CONCURRENCY = 64;
const MAX_MANY_CONCURRENCY = 1024;
const DEFAULT_LOOKAHEAD = 1000;
const PROGRESS_INTERVAL_MS = 100;

/** One unit of work: what to report it as, and its size (for ordering and totals). */
export interface ManyItem {
  source: string;
  destination: string;
  size: number;
}

/** What a task is given besides its item. */
export interface TaskTools {
  signal: AbortSignal;
  /** Reports bytes moved so far by this object (cumulative; may go back down when a request is retried). */
  progress: (bytesSoFar: number) => void;
}

/** A task's result: done with bytes, or skipped with a reason. Throwing means failed. */
export type TaskResult = { status: 'done'; bytes: number } | { status: 'skipped'; reason: NonNullable<ObjectOutcome['reason']> };

export function checkManyOptions(options: ManyOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`Expected the options to be an object, got \`${String(options)}\``);
  }
  const { concurrency, lookahead } = options;
  if (concurrency !== undefined && (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > MAX_MANY_CONCURRENCY)) {
    throw new InvalidArgumentError(`Expected \`concurrency\` to be an integer from 1 to ${MAX_MANY_CONCURRENCY}, got \`${String(concurrency)}\``);
  }
  if (lookahead !== undefined && (!Number.isSafeInteger(lookahead) || lookahead < 1)) {
    throw new InvalidArgumentError(`Expected \`lookahead\` to be a positive integer, got \`${String(lookahead)}\``);
  }
  for (const name of ['onObject', 'onProgress'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new InvalidArgumentError(`Expected \`${name}\` to be a function, got \`${String(options[name])}\``);
    }
  }
  if (options.continueOnError !== undefined && typeof options.continueOnError !== 'boolean') {
    throw new InvalidArgumentError(`Expected \`continueOnError\` to be a boolean, got \`${String(options.continueOnError)}\``);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`Expected \`signal\` to be an AbortSignal, got \`${String(options.signal)}\``);
  }
}

export async function runMany<T extends ManyItem>(
  operation: ObjectOperation,
  items: AsyncIterable<T>,
  task: (item: T, tools: TaskTools) => Promise<TaskResult>,
  options: ManyOptions,
): Promise<ManySummary> {
  const started = performance.now();
  const progress: ManyProgress = { objectsDone: 0, objectsTotal: 0, bytesDone: 0, bytesTotal: 0, listed: false, failed: 0, skipped: 0, elapsedMs: 0 };
  const summary: ManySummary = { objects: 0, bytes: 0, skipped: 0, failed: 0, failures: [], elapsedMs: 0 };
  let lastEmit = -Infinity;
  const emit = (force = false): void => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!force && now - lastEmit < PROGRESS_INTERVAL_MS) return;
    lastEmit = now;
    options.onProgress({ ...progress, elapsedMs: Math.round(now - started) });
  };
  async function* counted(): AsyncGenerator<T> {
    for await (const item of items) {
      progress.objectsTotal++;
      progress.bytesTotal += item.size;
      yield item;
    }
    progress.listed = true;
    emit();
  }
  /** `size` of a skipped object counts as done in the progress, so the display reaches its total. */
  const settle = (outcome: ObjectOutcome, size: number): void => {
    progress.objectsDone++;
    if (outcome.status === 'done') {
      summary.objects++;
      summary.bytes += outcome.bytes;
    } else if (outcome.status === 'skipped') {
      summary.skipped++;
      progress.skipped++;
      progress.bytesDone += size;
    } else {
      summary.failed++;
      progress.failed++;
      if (summary.failures.length < MAX_LISTED_FAILURES) summary.failures.push(outcome);
    }
    options.onObject?.(outcome);
    emit();
  };
  const continueOnError = options.continueOnError ?? true;
  await runSlidingWindow(
    largestFirst(counted(), (item) => item.size, options.lookahead ?? DEFAULT_LOOKAHEAD),
    async (item, signal) => {
      let moved = 0;
      const tools: TaskTools = {
        signal,
        progress: (bytes) => {
          progress.bytesDone += bytes - moved;
          moved = bytes;
          emit();
        },
      };
      const base = { operation, source: item.source, destination: item.destination };
      let outcome: ObjectOutcome;
      try {
        const result = await task(item, tools);
        tools.progress(result.status === 'done' ? result.bytes : 0);
        outcome = result.status === 'done' ? { ...base, status: 'done', bytes: result.bytes } : { ...base, status: 'skipped', bytes: 0, reason: result.reason };
      } catch (error) {
        tools.progress(0);
        const errorClass = classifyError(error);
        // An abort is the job's, not this object's: it ends the call instead of counting as a failure.
        if (errorClass === 'aborted' && signal.aborted) throw error;
        settle({ ...base, status: 'failed', bytes: 0, error: error instanceof Error ? error : new Error(String(error)), errorClass }, item.size);
        if (!continueOnError) throw error;
        return;
      }
      // Outside the try: a throwing onObject is the caller's bug, not this object's failure.
      settle(outcome, item.size);
    },
    { concurrency: options.concurrency ?? DEFAULT_MANY_CONCURRENCY, ...(options.signal ? { signal: options.signal } : {}) },
  );
  summary.elapsedMs = Math.round(performance.now() - started);
  progress.listed = true;
  emit(true);
  return summary;
}
