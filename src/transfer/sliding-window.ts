/**
 * The scheduling loop of every parallel job (aws-c-s3's pull scheduler): items are pulled from an iterator only
 * when one of `concurrency` slots is free, so there are never more than `concurrency` tasks in flight, no batch
 * barriers, and a lazily generated plan of millions of parts costs nothing up front.
 */
import { setMaxListeners } from 'node:events';
import { abortErrorFor, linkedController } from '../util/abort.js';
import { Semaphore } from '../util/semaphore.js';

/** Abort listeners one task may hold at once (with room to spare): a request, its body and a write wait. */
const LISTENERS_PER_TASK = 4;

export interface SlidingWindowOptions {
  concurrency: number;
  /**
   * Slots shared with work outside the window (a download's discovery request holds one while it streams),
   * so the window and that work together never exceed `concurrency`. Default: the window's own.
   */
  slots?: Semaphore;
  /** Stops pulling items and aborts the tasks' signal. */
  signal?: AbortSignal;
}

/**
 * Runs `task` over `items` with at most `concurrency` at once. The first failure aborts the signal handed to
 * the other tasks and stops pulling; the call settles only once every started task has settled (nothing keeps
 * running behind the caller's back), then rejects with that first failure, or with the AbortError of `signal`
 * when the caller aborted.
 */
export async function runSlidingWindow<T>(
  items: Iterable<T> | AsyncIterable<T>,
  task: (item: T, signal: AbortSignal) => Promise<void>,
  options: SlidingWindowOptions,
): Promise<void> {
  const slots = options.slots ?? new Semaphore(options.concurrency);
  const { controller, dispose } = linkedController(options.signal);
  // Every task in flight holds a few abort listeners on this signal (transport, body reader, back-pressure
  // wait), so Node's default warning threshold of 10 would fire at a concurrency of 4 without any leak.
  setMaxListeners(LISTENERS_PER_TASK * options.concurrency + 10, controller.signal);
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown): void => {
    failure ??= { error };
    controller.abort(error);
  };
  const iterator = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  let exhausted = false;
  try {
    for (;;) {
      // The slot comes first, so an item (and whatever it holds, e.g. a part buffer) is only pulled when it
      // can start at once.
      await slots.acquire({ signal: controller.signal });
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        slots.release();
        break;
      }
      const item = next.value;
      const run = task(item, controller.signal)
        .catch(fail)
        .finally(() => {
          slots.release();
          running.delete(run);
        });
      running.add(run);
    }
  } catch (error) {
    // An abort while waiting for a slot, or a failing iterator: either way stop and report the root cause.
    fail(error);
  } finally {
    await Promise.allSettled([...running]);
    if (!exhausted) await closeIterator(iterator);
    dispose();
  }
  if (failure) {
    // The caller's abort wins over the sibling failures it caused.
    if (options.signal?.aborted) throw abortErrorFor(options.signal);
    throw failure.error;
  }
}

/** Lets an abandoned iterator clean up (a chunker returns its buffer, a stream is closed). */
async function closeIterator(iterator: Iterator<unknown> | AsyncIterator<unknown>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    // The job's own outcome matters more than a failure to tidy up the source.
  }
}
